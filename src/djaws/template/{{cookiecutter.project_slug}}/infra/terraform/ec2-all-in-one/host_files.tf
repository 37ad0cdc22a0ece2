# The project files the host runs from (local.host_files: the compose file, nginx's configuration and
# the host scripts) live in the media bucket under deploy-bundle/. User data copies them to the host on
# first boot; deploy/ec2/deploy.sh copies them again at each deploy, so a changed file reaches a running
# host with `make infra-apply` and the next deploy. (Inlined in user data they would pass its 16 KiB limit.)

resource "aws_s3_object" "host_file" {
  for_each = local.host_files

  bucket       = module.media_bucket.bucket
  key          = "${local.bundle_prefix}${each.key}"
  source       = each.value
  source_hash  = filemd5(each.value)
  content_type = "text/plain"
}
