# The AWS Budget at this environment's estimated monthly cost (infra/README.md): 80 % actual and 100 %
# forecast notify the alarm e-mail, or the alarm topic when there is none (modules/cost-budget).

module "cost_budget" {
  source = "../modules/cost-budget"

  name        = local.names.budget
  environment = var.environment
  monthly_usd = var.monthly_budget_usd
  email       = var.alarm_email
  topic_arn   = module.alarm_topic.arn
}
