"""The monitoring patches of the emulator (emulator_monitoring.py) on their own, checked with boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.emulator import ACCOUNT_ID, Emulator

REGION = "ap-northeast-2"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:patch-check"
VALID_WIDGETS: list[dict[str, Any]] = [
    {
        "type": "metric",
        "x": 0,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "region": REGION,
            "stat": "Sum",
            "metrics": [
                ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/alb/0123", {"label": "requests"}],
                [{"expression": "m1 / 60", "id": "per_second"}],
                ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "db", {"id": "m1", "stat": "p95"}],
            ],
            "annotations": {"horizontal": [{"label": "alarm", "value": 1.5}]},
        },
    },
    {"type": "alarm", "x": 12, "y": 0, "width": 12, "height": 6, "properties": {"alarms": [ALARM_ARN]}},
    {"type": "log", "properties": {"region": REGION, "query": "SOURCE '/app/web' | fields @message"}},
]
# One broken widget each, and the word the refusal must name.
INVALID_WIDGETS = {
    "too wide": ({**VALID_WIDGETS[1], "width": 25}, "width"),
    "off the grid": ({**VALID_WIDGETS[1], "x": 18, "width": 12}, "24 columns"),
    "unknown type": ({"type": "chart", "properties": {}}, "type"),
    "no region": ({"type": "metric", "properties": {"metrics": [["AWS/EC2", "CPUUtilization"]]}}, "region"),
    "dimension without a value": (
        {"type": "metric", "properties": {"region": REGION, "metrics": [["AWS/EC2", "CPUUtilization", "InstanceId"]]}},
        "dimension",
    ),
    "no metrics": ({"type": "metric", "properties": {"region": REGION, "metrics": []}}, "metrics"),
    "bad statistic": (
        {
            "type": "metric",
            "properties": {"region": REGION, "stat": "Median", "metrics": [["AWS/EC2", "CPUUtilization"]]},
        },
        "stat",
    ),
    "unknown metric option": (
        {
            "type": "metric",
            "properties": {"region": REGION, "metrics": [["AWS/EC2", "CPUUtilization", {"colour": "red"}]]},
        },
        "colour",
    ),
    "alarm name instead of ARN": ({"type": "alarm", "properties": {"alarms": ["patch-check"]}}, "alarm ARN"),
    "log query without SOURCE": (
        {"type": "log", "properties": {"region": REGION, "query": "fields @message"}},
        "SOURCE",
    ),
}


def test_dashboard_with_valid_widgets_is_stored(emulator: Emulator) -> None:
    """Metric (with math and annotations), alarm and log widgets pass, and the body reads back unchanged."""
    cloudwatch = emulator.client("cloudwatch")
    body = json.dumps({"widgets": VALID_WIDGETS})
    cloudwatch.put_dashboard(DashboardName="patch-check-valid", DashboardBody=body)
    assert json.loads(cloudwatch.get_dashboard(DashboardName="patch-check-valid")["DashboardBody"]) == {
        "widgets": VALID_WIDGETS
    }
    cloudwatch.delete_dashboards(DashboardNames=["patch-check-valid"])


@pytest.mark.parametrize("case", sorted(INVALID_WIDGETS))
def test_dashboard_with_an_invalid_widget_is_refused(emulator: Emulator, case: str) -> None:
    """A malformed widget fails the whole PutDashboard, as on AWS, and nothing is stored."""
    widget, named = INVALID_WIDGETS[case]
    cloudwatch = emulator.client("cloudwatch")
    body = json.dumps({"widgets": [VALID_WIDGETS[0], widget]})
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_dashboard(DashboardName="patch-check-invalid", DashboardBody=body)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterInput"
    assert "widgets[1]" in refused.value.response["Error"]["Message"]
    assert named in refused.value.response["Error"]["Message"]
    names = {entry["DashboardName"] for entry in cloudwatch.list_dashboards()["DashboardEntries"]}
    assert "patch-check-invalid" not in names


def test_query_definitions_are_saved_listed_updated_and_deleted(emulator: Emulator) -> None:
    """PutQueryDefinition creates (or updates by id), Describe filters by name prefix, Delete removes."""
    logs = emulator.client("logs")
    created = logs.put_query_definition(
        name="patch-check/errors", queryString="fields @message", logGroupNames=["/patch-check/web"]
    )["queryDefinitionId"]
    logs.put_query_definition(name="other/errors", queryString="fields @message")
    listed = logs.describe_query_definitions(queryDefinitionNamePrefix="patch-check/")["queryDefinitions"]
    assert [(entry["queryDefinitionId"], entry["logGroupNames"]) for entry in listed] == [
        (created, ["/patch-check/web"])
    ]
    logs.put_query_definition(queryDefinitionId=created, name="patch-check/errors", queryString="fields @timestamp")
    updated = logs.describe_query_definitions(queryDefinitionNamePrefix="patch-check/")["queryDefinitions"]
    assert [entry["queryString"] for entry in updated] == ["fields @timestamp"]
    assert logs.delete_query_definition(queryDefinitionId=created)["success"]
    assert logs.describe_query_definitions(queryDefinitionNamePrefix="patch-check/")["queryDefinitions"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_query_definition(queryDefinitionId=created)


def budget(name: str) -> dict[str, Any]:
    """A monthly cost budget of $10."""
    return {
        "BudgetName": name,
        "BudgetLimit": {"Amount": "10", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }


def notification_to(subscriber: dict[str, str]) -> dict[str, Any]:
    """An 80 % actual-spend notification to one subscriber."""
    return {
        "Notification": {
            "NotificationType": "ACTUAL",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": 80.0,
            "ThresholdType": "PERCENTAGE",
        },
        "Subscribers": [subscriber],
    }


def test_budget_to_a_topic_budgets_cannot_publish_to_is_refused(emulator: Emulator) -> None:
    """Without a topic policy for budgets.amazonaws.com (or without the topic) the budget is not created."""
    budgets, sns = emulator.client("budgets"), emulator.client("sns")
    topic = sns.create_topic(Name="patch-check-budget-closed")["TopicArn"]
    for address in (topic, f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:patch-check-missing"):
        with pytest.raises(ClientError) as refused:
            budgets.create_budget(
                AccountId=ACCOUNT_ID,
                Budget=budget("patch-check-closed"),
                NotificationsWithSubscribers=[notification_to({"SubscriptionType": "SNS", "Address": address})],
            )
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert "budgets.amazonaws.com" in refused.value.response["Error"]["Message"]
    assert "patch-check-closed" not in {
        entry["BudgetName"] for entry in budgets.describe_budgets(AccountId=ACCOUNT_ID)["Budgets"]
    }


def test_budget_to_an_open_topic_reads_back_subscribers_and_tags(emulator: Emulator) -> None:
    """With the policy the budget is created; its subscribers and tags read back; e-mail needs no policy."""
    budgets, sns = emulator.client("budgets"), emulator.client("sns")
    topic = sns.create_topic(Name="patch-check-budget-open")["TopicArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "budgets.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": topic,
    }
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    to_topic = notification_to({"SubscriptionType": "SNS", "Address": topic})
    budgets.create_budget(
        AccountId=ACCOUNT_ID,
        Budget=budget("patch-check-open"),
        NotificationsWithSubscribers=[to_topic],
        ResourceTags=[{"Key": "Environment", "Value": "demo"}],
    )
    subscribers = budgets.describe_subscribers_for_notification(
        AccountId=ACCOUNT_ID, BudgetName="patch-check-open", Notification=to_topic["Notification"]
    )["Subscribers"]
    assert subscribers == [{"SubscriptionType": "SNS", "Address": topic}]
    arn = f"arn:aws:budgets::{ACCOUNT_ID}:budget/patch-check-open"
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "Project", "Value": "patch-check"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["Environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "Project", "Value": "patch-check"}
    ]
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_subscribers_for_notification(
            AccountId=ACCOUNT_ID,
            BudgetName="patch-check-open",
            Notification={**to_topic["Notification"], "NotificationType": "FORECASTED"},
        )
    budgets.create_budget(
        AccountId=ACCOUNT_ID,
        Budget=budget("patch-check-mail"),
        NotificationsWithSubscribers=[notification_to({"SubscriptionType": "EMAIL", "Address": "ops@acme-shop.io"})],
    )
    for name in ("patch-check-open", "patch-check-mail"):
        budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName=name)


def test_an_updated_budget_reads_back_its_new_limit_and_keeps_its_notifications(emulator: Emulator) -> None:
    """UpdateBudget replaces the limit; the notifications and time period stay; a missing budget is NotFound."""
    budgets = emulator.client("budgets")
    to_mail = notification_to({"SubscriptionType": "EMAIL", "Address": "ops@acme-shop.io"})
    budgets.create_budget(
        AccountId=ACCOUNT_ID, Budget=budget("patch-check-update"), NotificationsWithSubscribers=[to_mail]
    )
    before = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName="patch-check-update")["Budget"]
    changed = {**budget("patch-check-update"), "BudgetLimit": {"Amount": "30.0", "Unit": "USD"}}
    budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget=changed)
    after = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName="patch-check-update")["Budget"]
    assert after["BudgetLimit"] == {"Amount": "30.0", "Unit": "USD"} != before["BudgetLimit"]
    assert after["TimePeriod"] == before["TimePeriod"]
    notifications = budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName="patch-check-update")
    assert [entry["Threshold"] for entry in notifications["Notifications"]] == [to_mail["Notification"]["Threshold"]]
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget=budget("patch-check-missing"))
    with pytest.raises(ClientError):
        budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget={k: v for k, v in changed.items() if k != "BudgetLimit"})
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName="patch-check-update")
