# The private media bucket both deployment targets share: uploads go straight from the browser to
# S3 with presigned requests, so the bucket needs CORS for the site origin but never public access.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs need a second bucket per environment; CloudTrail data events are the audit path when a client needs one.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; versioning (prod) and backups cover recovery.
  #checkov:skip=CKV2_AWS_62:No consumer for event notifications; the app confirms uploads through its own API.
  #checkov:skip=CKV_AWS_21:Versioning is a per-environment choice (on in prod) set by var.versioning_enabled.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    # The AWS-managed aws/s3 key: encrypted with KMS at no key cost, and presigned requests need no
    # extra key policy. The bucket key cuts KMS request charges.
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count  = var.versioning_enabled ? 1 : 0
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_cors_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  cors_rule {
    allowed_methods = ["GET", "HEAD", "POST", "PUT"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Objects the app tags as pending when it signs the upload and untags when the upload is
  # confirmed; anything never confirmed disappears even if the app's own purge task never runs.
  rule {
    id     = "expire-never-completed-uploads"
    status = "Enabled"

    filter {
      tag {
        key   = var.pending_upload_tag.key
        value = var.pending_upload_tag.value
      }
    }

    expiration {
      days = var.pending_upload_expiry_days
    }
  }

  dynamic "rule" {
    for_each = var.backup_prefix != "" ? [var.backup_prefix] : []

    content {
      id     = "expire-old-backups"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.backup_expiry_days
      }
    }
  }

  dynamic "rule" {
    for_each = var.versioning_enabled ? [1] : []

    content {
      id     = "expire-noncurrent-versions"
      status = "Enabled"

      filter {}

      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_version_expiry_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
