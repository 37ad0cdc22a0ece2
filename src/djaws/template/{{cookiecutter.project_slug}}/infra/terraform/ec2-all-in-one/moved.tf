# Addresses these resources had in earlier djaws versions, before the network, the alarm topic and
# the generated secrets became shared modules. Terraform reads them on the next plan and moves the
# state instead of replacing anything (a replaced secret would sign everyone out, a replaced VPC would
# take the whole stack with it); in a stack created with these modules they change nothing.

moved {
  from = aws_vpc.main
  to   = module.network.aws_vpc.main
}

moved {
  from = aws_default_security_group.default
  to   = module.network.aws_default_security_group.default
}

moved {
  from = aws_internet_gateway.main
  to   = module.network.aws_internet_gateway.main
}

moved {
  from = aws_route_table.public
  to   = module.network.aws_route_table.public
}

moved {
  from = aws_subnet.public
  to   = module.network.aws_subnet.public[0]
}

moved {
  from = aws_route_table_association.public
  to   = module.network.aws_route_table_association.public[0]
}

moved {
  from = aws_route.public_internet
  to   = module.network.aws_route.public_internet
}

moved {
  from = aws_flow_log.vpc
  to   = module.network.aws_flow_log.vpc
}

moved {
  from = aws_cloudwatch_log_group.flow_logs
  to   = module.network.aws_cloudwatch_log_group.flow_logs
}

moved {
  from = aws_iam_role.flow_logs
  to   = module.network.aws_iam_role.flow_logs
}

moved {
  from = aws_iam_role_policy.flow_logs
  to   = module.network.aws_iam_role_policy.flow_logs
}

moved {
  from = aws_sns_topic.alarms
  to   = module.alarm_topic.aws_sns_topic.alarms
}

moved {
  from = aws_sns_topic_subscription.alarm_email
  to   = module.alarm_topic.aws_sns_topic_subscription.email
}

moved {
  from = aws_secretsmanager_secret.django_secret_key
  to   = module.django_secret_key.aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.django_secret_key
  to   = module.django_secret_key.aws_secretsmanager_secret_version.this
}

moved {
  from = aws_secretsmanager_secret.db_password
  to   = module.db_password.aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.db_password
  to   = module.db_password.aws_secretsmanager_secret_version.this
}
