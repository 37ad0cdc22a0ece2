# The CloudWatch agent on the host (installed and started by user data) sends memory, swap and disk use
# of / (images, logs and the database volume live there) every minute, to this environment's namespace.
# Its config is this JSON in an SSM parameter the agent reads at start (user data must stay under
# 16 KiB, and a changed config reaches the host with `amazon-cloudwatch-agent-ctl -a fetch-config`).
# The name follows the agent's convention (AmazonCloudWatch-*); the host reads it through
# AmazonSSMManagedInstanceCore's ssm:GetParameter and publishes to its namespace only (iam.tf).

resource "aws_ssm_parameter" "cloudwatch_agent" {
  #checkov:skip=CKV2_AWS_34:The agent's config holds no secret: a namespace and a list of metrics.
  name        = "AmazonCloudWatch-${local.names.metric_namespace}"
  description = "CloudWatch agent config of the ${local.project.resource_prefix} ${var.environment} host"
  type        = "String"
  value = jsonencode({
    agent = { metrics_collection_interval = 60, run_as_user = "cwagent", omit_hostname = true }
    metrics = {
      namespace         = local.metric_namespace
      append_dimensions = { InstanceId = "$${aws:InstanceId}" }
      # Each metric is published once more with only the dimensions the alarms and the dashboard name
      # (disk metrics otherwise carry the file system type as well).
      aggregation_dimensions = [["InstanceId"], ["InstanceId", "path"]]
      metrics_collected = {
        mem  = { measurement = ["mem_used_percent"] }
        swap = { measurement = ["swap_used_percent"] }
        disk = { measurement = ["used_percent"], resources = ["/"], drop_device = true }
      }
    }
  })
}
