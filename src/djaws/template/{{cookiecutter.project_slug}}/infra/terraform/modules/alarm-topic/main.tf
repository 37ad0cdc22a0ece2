# The SNS topic every alarm of the environment publishes to, and the e-mail subscribed to it.

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and alarm texts hold no secrets.
  name = var.name
}

resource "aws_sns_topic_subscription" "email" {
  count = var.email != "" ? 1 : 0

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.email
}
