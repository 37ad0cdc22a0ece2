# The one-time stack: `make init` applies it once per project with administrator credentials,
# passing the GitHub repository it finds. Its own state stays local (terraform.tfstate here): it
# holds no secrets, and everything it creates can be imported again if the file is lost.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = local.project.resource_prefix
      ManagedBy = "terraform"
    }
  }
}

locals {
  # Every AWS name comes from infra/names.json, rendered from djaws' naming module.
  project = jsondecode(file("${path.module}/../../names.json"))
}
