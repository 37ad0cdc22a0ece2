# State lives in the bucket the bootstrap stack creates, one key per environment, locked with an
# S3 lock file. The bucket, key and region come from envs/<env>.s3.tfbackend:
#   terraform init -backend-config=envs/demo.s3.tfbackend
terraform {
  backend "s3" {}
}
