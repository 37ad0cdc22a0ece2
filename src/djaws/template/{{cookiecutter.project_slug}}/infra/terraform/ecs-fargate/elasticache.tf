# Redis 7 for cache, Celery broker and channel layer, managed (var.redis = "elasticache"): TLS in
# transit (the app connects with rediss://) and encryption at rest. With var.redis = "container"
# Redis runs in the packed task instead (ecs.tf) and nothing here is created.

resource "aws_elasticache_subnet_group" "main" {
  count = local.redis_container ? 0 : 1

  name        = local.names.cache_subnet_group
  description = "Private subnets of ${local.names.vpc}"
  subnet_ids  = module.network.private_subnet_ids
}

resource "aws_elasticache_replication_group" "main" {
  #checkov:skip=CKV_AWS_31:No AUTH token: only the app security group reaches Redis, traffic is TLS, and a token would be one more secret to rotate.
  #checkov:skip=CKV2_AWS_50:Multi-AZ failover needs a second node; var.cache_node_count > 1 turns it on.
  #checkov:skip=CKV_AWS_191:Encrypted at rest with the AWS-managed key; a customer key adds cost without a consumer for its policy.
  count = local.redis_container ? 0 : 1

  replication_group_id = local.names.elasticache_group
  description          = "Redis for ${local.project.resource_prefix} ${var.environment}"

  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.cache_node_type
  num_cache_clusters   = var.cache_node_count
  parameter_group_name = "default.redis7"
  port                 = 6379

  automatic_failover_enabled = var.cache_node_count > 1
  multi_az_enabled           = var.cache_node_count > 1

  subnet_group_name  = aws_elasticache_subnet_group.main[0].name
  security_group_ids = [aws_security_group.redis[0].id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true

  snapshot_retention_limit   = var.cache_snapshot_retention_days
  maintenance_window         = "sun:20:00-sun:21:00"
  auto_minor_version_upgrade = true
  apply_immediately          = !var.deletion_protection
}

moved {
  from = aws_elasticache_subnet_group.main
  to   = aws_elasticache_subnet_group.main[0]
}

moved {
  from = aws_elasticache_replication_group.main
  to   = aws_elasticache_replication_group.main[0]
}
