module "media_bucket" {
  source = "../modules/media-bucket"

  bucket_name          = local.names.media_bucket
  force_destroy        = !var.deletion_protection
  versioning_enabled   = var.media_versioning
  cors_allowed_origins = local.site_origins
  # The host's nightly pg_dump lands here (deploy/ec2/backup-db.sh).
  backup_prefix      = local.backup_prefix
  backup_expiry_days = var.backup_expiry_days
}
