"""Monitoring of both applied demo stacks, read back from the emulator: dashboards, alarms, saved queries, budgets.

Each check ties what was created to the resources it watches, as AWS names them (load balancer ARN
suffix, ECS service names, RDS identifier, Redis member clusters, the host's instance id), so a
dashboard line or an alarm pointing at nothing fails here. The emulator validates dashboard bodies and
budget subscribers as AWS does (emulator_monitoring.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support.emulator import ACCOUNT_ID
from support.stacks import ENVIRONMENT, StackCycle

# Under xdist, every test of both applied stacks runs on one worker, before the destroy tests.
pytestmark = pytest.mark.xdist_group("infra-apply")


def dashboard(stack: StackCycle) -> dict[str, dict[str, Any]]:
    """The environment's dashboard widgets by title."""
    body = stack.emulator.client("cloudwatch").get_dashboard(DashboardName=stack.environment_names["dashboard"])
    return {widget["properties"]["title"]: widget for widget in json.loads(body["DashboardBody"])["widgets"]}


def dimension_values(widget: dict[str, Any], dimension: str) -> list[str]:
    """The values one dimension takes across a metric widget's lines, in order."""
    values = []
    for entry in widget["properties"]["metrics"]:
        names = [part for part in entry if isinstance(part, str)]
        values += [names[index + 1] for index in range(2, len(names) - 1, 2) if names[index] == dimension]
    return values


def stack_alarms(stack: StackCycle) -> dict[str, dict[str, Any]]:
    """Every alarm of this stack (named after one of its resources; the other stack shares the emulator), by ARN."""
    pages = stack.emulator.client("cloudwatch").get_paginator("describe_alarms").paginate()
    alarms = [alarm for page in pages for alarm in page["MetricAlarms"]]
    owners = tuple(f"{name}-" for name in stack.environment_names.values())
    return {alarm["AlarmArn"]: alarm for alarm in alarms if alarm["AlarmName"].startswith(owners)}


def saved_queries(stack: StackCycle) -> dict[str, dict[str, Any]]:
    """The environment's saved Logs Insights queries by the name after their folder."""
    folder = stack.environment_names["dashboard"]
    listed = stack.emulator.client("logs").describe_query_definitions(queryDefinitionNamePrefix=f"{folder}/")
    return {entry["name"].removeprefix(f"{folder}/"): entry for entry in listed["queryDefinitions"]}


def logged_request_fields(stack: StackCycle) -> set[str]:
    """The fields the generated backend's request middleware puts on each request line."""
    source = (stack.project / "backend" / "apps" / "core" / "middleware.py").read_text()
    assert 'logging.getLogger("app.request")' in source
    extra = source[source.index("extra={") : source.index("}", source.index("extra={"))]
    return set(re.findall(r'"(\w+)":', extra))


def check_saved_queries(stack: StackCycle, backend_services: list[str]) -> None:
    """Errors over the Django processes; slow requests and 5xx by path over web, on fields the backend logs."""
    prefix = stack.environment_names["log_group_prefix"]
    queries = saved_queries(stack)
    assert set(queries) == {"errors", "slow-requests-by-path", "5xx-by-path"}
    assert queries["errors"]["logGroupNames"] == [f"{prefix}/{service}" for service in backend_services]
    for name in ("slow-requests-by-path", "5xx-by-path"):
        assert queries[name]["logGroupNames"] == [f"{prefix}/web"]
    existing = {
        group["logGroupName"]
        for group in stack.emulator.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    }
    assert {group for query in queries.values() for group in query["logGroupNames"]} <= existing
    fields = logged_request_fields(stack)
    assert {"method", "path", "status", "duration_ms"} <= fields
    assert "pct(duration_ms, 95)" in queries["slow-requests-by-path"]["queryString"]
    assert "by method, path" in queries["slow-requests-by-path"]["queryString"]
    assert 'logger = "app.request" and status >= 500' in queries["5xx-by-path"]["queryString"]


def budget_in_tfvars(stack: StackCycle) -> float:
    """monthly_budget_usd as the environment's tfvars file sets it (the estimate ops cost computes)."""
    tfvars = (stack.stack.directory / "envs" / f"{ENVIRONMENT}.tfvars").read_text()
    found = re.findall(r"^monthly_budget_usd\s*=\s*([0-9.]+)\s*$", tfvars, re.MULTILINE)
    assert len(found) == 1, f"envs/{ENVIRONMENT}.tfvars sets monthly_budget_usd {len(found)} times"
    return float(found[0])


def check_budget(stack: StackCycle) -> None:
    """The budget: the tfvars figure a month, this environment's costs, 80 % actual and 100 % forecast to the topic."""
    budgets = stack.emulator.client("budgets")
    account = ACCOUNT_ID
    name = stack.environment_names["budget"]
    found = budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"]
    assert float(found["BudgetLimit"]["Amount"]) == budget_in_tfvars(stack) > 0
    assert (found["BudgetLimit"]["Unit"], found["TimeUnit"], found["BudgetType"]) == ("USD", "MONTHLY", "COST")
    assert found["CostFilters"] == {"TagKeyValue": [f"user:Environment${ENVIRONMENT}"]}
    notifications = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name)["Notifications"]
    assert {(entry["NotificationType"], entry["Threshold"]) for entry in notifications} == {
        ("ACTUAL", 80.0),
        ("FORECASTED", 100.0),
    }
    topic = stack.outputs["alarm_topic_arn"]
    for notification in notifications:
        subscribers = budgets.describe_subscribers_for_notification(
            AccountId=account, BudgetName=name, Notification=notification
        )["Subscribers"]
        # demo.tfvars has no alarm e-mail: the notifications go to the topic, never to a placeholder.
        assert subscribers == [{"SubscriptionType": "SNS", "Address": topic}]
    assert stack.emulator.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def check_every_alarm_notifies_the_topic(stack: StackCycle, dashboard_alarms: list[str]) -> None:
    """Each alarm tells the topic when it fires and clears, and the dashboard's alarm widget shows them all."""
    topic = stack.outputs["alarm_topic_arn"]
    alarms = stack_alarms(stack)
    assert set(dashboard_alarms) == set(alarms)
    for alarm in alarms.values():
        assert topic in alarm["AlarmActions"], alarm["AlarmName"]
        assert alarm["OKActions"] == [topic], alarm["AlarmName"]


def test_ecs_dashboard_watches_the_applied_resources(ecs_stack: StackCycle) -> None:
    """Requests, 5xx and latency at this ALB; CPU and memory of the ECS service; this database; no Redis widget
    (the demo's Redis is a container of the packed task: ElastiCache metrics would have no node to read)."""
    emulator, names = ecs_stack.emulator, ecs_stack.environment_names
    widgets = dashboard(ecs_stack)
    load_balancer = emulator.client("elbv2").describe_load_balancers(Names=[names["alb"]])["LoadBalancers"][0]
    arn_suffix = load_balancer["LoadBalancerArn"].split(":loadbalancer/")[1]
    for title in ("Requests (per minute)", "5xx responses (per minute)", "Response time (seconds)"):
        assert set(dimension_values(widgets[title], "LoadBalancer")) == {arn_suffix}, title
    services = emulator.client("ecs").list_services(cluster=names["ecs_cluster"])["serviceArns"]
    service_names = {arn.rsplit("/", 1)[1] for arn in services}
    assert service_names == {names["ecs_service_app"]}
    for title in ("CPU per service (%)", "Memory per service (%)"):
        assert set(dimension_values(widgets[title], "ServiceName")) == service_names, title
        assert set(dimension_values(widgets[title], "ClusterName")) == {names["ecs_cluster"]}
    database = set(dimension_values(widgets["Database CPU (%) and connections"], "DBInstanceIdentifier"))
    assert (
        database
        == {names["rds_instance"]}
        == set(dimension_values(widgets["Database free storage (GiB)"], "DBInstanceIdentifier"))
    )
    assert not [title for title in widgets if title.startswith("Redis")]
    assert f"SOURCE '{names['log_group_prefix']}/web'" in widgets["Latest errors"]["properties"]["query"]
    url = ecs_stack.outputs["dashboard_url"]
    assert url.endswith(f"#dashboards/dashboard/{names['dashboard']}") and f"region={emulator.region}" in url


def test_ecs_latency_and_connection_alarms(ecs_stack: StackCycle) -> None:
    """p95 TargetResponseTime over 1.5 s at this ALB; more than 60 connections on this database; all to the topic."""
    names = ecs_stack.environment_names
    alarms = {alarm["AlarmName"]: alarm for alarm in stack_alarms(ecs_stack).values()}
    latency = alarms[f"{names['alb']}-latency-p95"]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == (
        "AWS/ApplicationELB",
        "TargetResponseTime",
        "p95",
    )
    assert (latency["Threshold"], latency["Period"], latency["TreatMissingData"]) == (1.5, 300, "notBreaching")
    load_balancer = ecs_stack.emulator.client("elbv2").describe_load_balancers(Names=[names["alb"]])["LoadBalancers"][0]
    assert latency["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": load_balancer["LoadBalancerArn"].split(":loadbalancer/")[1]}
    ]
    connections = alarms[f"{names['rds_instance']}-connections"]
    assert (connections["MetricName"], connections["Statistic"], connections["Threshold"]) == (
        "DatabaseConnections",
        "Maximum",
        60.0,
    )
    assert connections["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": names["rds_instance"]}]
    check_every_alarm_notifies_the_topic(ecs_stack, dashboard(ecs_stack)["Alarms"]["properties"]["alarms"])


def test_ecs_saved_queries_read_the_backend_logs(ecs_stack: StackCycle) -> None:
    """Errors over web, websocket, worker and beat; slow requests and 5xx by path over web."""
    check_saved_queries(ecs_stack, ["web", "websocket", "worker", "beat"])


def test_ecs_budget_notifies_the_alarm_topic(ecs_stack: StackCycle) -> None:
    """demo's estimate a month for costs tagged Environment=demo; the topic lets Budgets publish."""
    check_budget(ecs_stack)
    topic = ecs_stack.outputs["alarm_topic_arn"]
    policy = json.loads(ecs_stack.emulator.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    budgets = [statement for statement in policy["Statement"] if statement.get("Sid") == "BudgetsPublish"]
    assert budgets and budgets[0]["Principal"] == {"Service": "budgets.amazonaws.com"}


def test_ec2_dashboard_watches_the_host_and_its_requests(ec2_stack: StackCycle) -> None:
    """CPU, memory and disk of this instance; requests, 5xx and latency from the web process's metric filters."""
    names = ec2_stack.environment_names
    widgets = dashboard(ec2_stack)
    instance_id = ec2_stack.outputs["instance_id"]
    for title in ("CPU (%) and CPU credits", "Memory and swap in use (%)", "Disk / in use (%)"):
        assert set(dimension_values(widgets[title], "InstanceId")) == {instance_id}, title
    assert dimension_values(widgets["Disk / in use (%)"], "path") == ["/"]
    filters = ec2_stack.emulator.client("logs").describe_metric_filters(logGroupName=f"{names['log_group_prefix']}/web")
    published = {
        transformation["metricName"]: (metric_filter["filterPattern"], transformation)
        for metric_filter in filters["metricFilters"]
        for transformation in metric_filter["metricTransformations"]
    }
    assert set(published) == {"requests", "responses_5xx", "request_duration_ms"}
    assert {transformation["metricNamespace"] for _, transformation in published.values()} == {
        names["metric_namespace"]
    }
    assert published["request_duration_ms"][1]["metricValue"] == "$.duration_ms"
    assert published["responses_5xx"][0] == '{ $.logger = "app.request" && $.status >= 500 }'
    for title, metric in (
        ("Requests to the web process (per minute)", "requests"),
        ("5xx responses (per minute)", "responses_5xx"),
        ("Response time (milliseconds)", "request_duration_ms"),
    ):
        assert {entry[1] for entry in widgets[title]["properties"]["metrics"]} == {metric}, title
        assert {entry[0] for entry in widgets[title]["properties"]["metrics"]} == {names["metric_namespace"]}
    assert ec2_stack.outputs["dashboard_url"].endswith(f"#dashboards/dashboard/{names['dashboard']}")


def test_ec2_agent_config_and_permission_match_the_alarms(ec2_stack: StackCycle) -> None:
    """The agent's config in SSM publishes memory and disk of / to the namespace the alarms watch, which the
    host's role may write to, and only that one."""
    emulator, names = ec2_stack.emulator, ec2_stack.environment_names
    parameter = f"AmazonCloudWatch-{names['metric_namespace']}"
    config = json.loads(emulator.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    assert config["metrics"]["namespace"] == names["metric_namespace"]
    assert config["metrics"]["append_dimensions"] == {"InstanceId": "${aws:InstanceId}"}
    assert ["InstanceId", "path"] in config["metrics"]["aggregation_dimensions"]
    assert config["metrics"]["metrics_collected"]["disk"]["resources"] == ["/"]
    instance_id = ec2_stack.outputs["instance_id"]
    alarms = {alarm["AlarmName"]: alarm for alarm in stack_alarms(ec2_stack).values()}
    memory, disk = alarms[f"{names['ec2_instance']}-memory"], alarms[f"{names['ec2_instance']}-disk"]
    assert (memory["Namespace"], memory["MetricName"], memory["Threshold"]) == (
        names["metric_namespace"],
        "mem_used_percent",
        90.0,
    )
    assert memory["Dimensions"] == [{"Name": "InstanceId", "Value": instance_id}]
    assert (disk["Namespace"], disk["MetricName"], disk["Threshold"]) == (
        names["metric_namespace"],
        "disk_used_percent",
        85.0,
    )
    assert sorted(disk["Dimensions"], key=lambda entry: entry["Name"]) == [
        {"Name": "InstanceId", "Value": instance_id},
        {"Name": "path", "Value": "/"},
    ]
    latency = alarms[f"{names['ec2_instance']}-latency-p95"]
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "request_duration_ms",
        "p95",
        1500.0,
    )
    iam = emulator.client("iam")
    policy = iam.get_role_policy(RoleName=names["iam_instance_role"], PolicyName="host")["PolicyDocument"]
    statements = [statement for statement in policy["Statement"] if "cloudwatch:PutMetricData" in statement["Action"]]
    assert statements == [
        {
            "Sid": "PutHostMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": names["metric_namespace"]}},
        }
    ]
    check_every_alarm_notifies_the_topic(ec2_stack, dashboard(ec2_stack)["Alarms"]["properties"]["alarms"])


def test_ec2_saved_queries_and_budget(ec2_stack: StackCycle) -> None:
    """Without Celery the errors query reads web and websocket; the budget notifies the topic."""
    check_saved_queries(ec2_stack, ["web", "websocket"])
    check_budget(ec2_stack)
