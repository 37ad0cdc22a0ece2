module "media_bucket" {
  source = "../modules/media-bucket"

  bucket_name          = local.names.media_bucket
  force_destroy        = !var.deletion_protection
  versioning_enabled   = var.media_versioning
  cors_allowed_origins = local.site_origins
}
