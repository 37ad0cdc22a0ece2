module "container_registry" {
  source = "../modules/container-registry"

  repositories = merge(
    { backend = local.names.ecr_backend },
    var.enable_frontend ? { frontend = local.names.ecr_frontend } : {},
  )
  force_delete = !var.deletion_protection
  keep_images  = var.ecr_keep_images
}
