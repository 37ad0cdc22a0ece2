# A secret whose value Secrets Manager generates (GetRandomPassword) and Terraform writes once. The
# value is never in tfvars or on a command line, and the write-only argument keeps it out of the
# secret version in state; the random-password data source's latest read still is in state (see
# infra/README.md, "Secrets"), which the state bucket's encryption and access policy protect.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS-managed aws/secretsmanager key, which ECS and EC2 roles read without a key policy.
  #checkov:skip=CKV2_AWS_57:Automatic rotation needs a Lambda; SECRET_KEY rotates by hand with SECRET_KEY_FALLBACKS, and the host database's password is read by a container no Lambda reaches (infra/README.md, "Secrets").
  name                    = var.name
  description             = var.description
  recovery_window_in_days = var.recovery_window_in_days
}

# Letters and digits only: the values go into URLs (DATABASE_URL) and settings unescaped.
data "aws_secretsmanager_random_password" "this" {
  password_length     = var.length
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = data.aws_secretsmanager_random_password.this.random_password
  secret_string_wo_version = 1
}
