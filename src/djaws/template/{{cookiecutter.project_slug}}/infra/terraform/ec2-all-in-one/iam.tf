# The host's instance profile: SSM (Session Manager, Run Command for deploys), pull this project's
# images, this bucket's objects (media, backups, deploy bundles), this environment's two secrets,
# its own log groups, and metrics in its own namespace (the CloudWatch agent).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  log_group_arns = [for name in values(local.log_groups) : "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${name}"]
}

resource "aws_iam_role" "instance" {
  name        = local.names.iam_instance_role
  description = "The ${local.project.resource_prefix} ${var.environment} host runs with this role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "instance" {
  name = "host"
  role = aws_iam_role.instance.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid      = "PullImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = values(module.container_registry.repository_arns)
      },
      {
        Sid      = "ListBucket"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = module.media_bucket.arn
      },
      {
        Sid    = "ReadWriteObjects"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          # Uploads carry the pending tag, and completion's copy replaces it.
          "s3:PutObjectTagging",
        ]
        Resource = "${module.media_bucket.arn}/*"
      },
      {
        Sid    = "ReadSecrets"
        Effect = "Allow"
        Action = "secretsmanager:GetSecretValue"
        # The TLS certificate's too, behind Cloudflare (deploy/ec2/tls.sh).
        Resource = concat([
          module.django_secret_key.arn,
          module.db_password.arn,
          module.readiness_token.arn,
        ], aws_secretsmanager_secret.tls_certificate[*].arn)
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for arn in local.log_group_arns : "${arn}:log-stream:*"]
      },
      {
        # The CloudWatch agent's memory and disk metrics; PutMetricData takes no resource, the namespace
        # condition keeps the host to its own.
        Sid       = "PutHostMetrics"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = local.metric_namespace } }
      },
    ]
  })
}

resource "aws_iam_instance_profile" "host" {
  name = local.names.iam_instance_role
  role = aws_iam_role.instance.name
}
