"""The monitoring APIs moto 5.2.5 lacks or accepts too readily, for the stacks' dashboards, queries and budgets.

``emulator.patch_moto()`` applies these with its other patches (same pinned moto version):

- CloudWatch ``PutDashboard`` accepts any JSON. AWS validates the body and refuses the whole
  dashboard with ``InvalidParameterInput`` when a widget is malformed; here the rules the stacks
  depend on are checked (``dashboard_errors``): widget types, positions and sizes on the 24-column
  grid, a region on metric and log widgets, metric entries (namespace, name, dimension pairs, known
  options and statistics, or a math expression), alarm widgets listing alarm ARNs, log widgets
  starting with ``SOURCE``.
- CloudWatch Logs: ``PutQueryDefinition``, ``DescribeQueryDefinitions`` and
  ``DeleteQueryDefinition`` (saved Logs Insights queries) are missing (HTTP 500).
- Budgets: ``DescribeSubscribersForNotification`` is missing, so the provider cannot read a budget's
  notifications back; tags (``ResourceTags`` of ``CreateBudget``, ``TagResource``, ``UntagResource``,
  ``ListTagsForResource``) are missing too, and the provider reads them whenever default tags are set;
  and a notification to an SNS topic is accepted whatever the topic. AWS Budgets
  refuses one to a topic that does not exist or whose policy does not let budgets.amazonaws.com
  publish; so does the emulator. ``UpdateBudget`` is missing (HTTP 500), so a changed
  ``monthly_budget_usd`` could not be applied: it replaces the budget's settings, keeps its name,
  notifications and time period when none is sent, and answers ``NotFoundException`` for a budget
  that does not exist, as the Budgets API reference describes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

DASHBOARD_COLUMNS = 24
WIDGET_TYPES = {"metric", "text", "log", "alarm", "explorer", "custom"}
METRIC_OPTIONS = {"id", "label", "stat", "period", "yAxis", "visible", "color", "region", "accountId"}
STATISTIC = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts)\d{1,2}(\.\d+)?)$")
ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
EXPRESSION_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


def _metric_entry_errors(entry: Any, where: str) -> list[str]:
    """What is wrong with one entry of a metric widget's ``metrics`` array."""
    if not isinstance(entry, list) or not entry:
        return [f"{where} must be a non-empty array"]
    options = entry[-1] if isinstance(entry[-1], dict) else {}
    names = entry[:-1] if options else entry
    errors = [f"{where} has an unknown option {key!r}" for key in options if key not in METRIC_OPTIONS | {"expression"}]
    if "stat" in options and not STATISTIC.match(str(options["stat"])):
        errors.append(f"{where} has an invalid stat {options['stat']!r}")
    if "id" in options and not EXPRESSION_ID.match(str(options["id"])):
        errors.append(f"{where} id {options['id']!r} must start with a lower-case letter")
    if "expression" in options:
        return errors + ([f"{where} is an expression and names a metric too"] if names else [])
    if not all(isinstance(name, str) and name for name in names):
        return [*errors, f"{where} must hold non-empty strings before its options"]
    if names and names[0] in (".", "..."):
        return errors
    if len(names) < 2 or len(names) % 2:
        errors.append(f"{where} needs a namespace, a metric name and dimension name/value pairs")
    return errors


def _widget_errors(widget: Any, index: int, default_region: bool) -> list[str]:
    """What is wrong with one widget."""
    where = f"widgets[{index}]"
    if not isinstance(widget, dict) or widget.get("type") not in WIDGET_TYPES:
        return [f"{where} must be an object with a type of {', '.join(sorted(WIDGET_TYPES))}"]
    width, height = widget.get("width", 6), widget.get("height", 6)
    x, y = widget.get("x", 0), widget.get("y", 0)
    errors = []
    sized = (
        isinstance(width, int) and isinstance(height, int) and 1 <= width <= DASHBOARD_COLUMNS and 1 <= height <= 1000
    )
    if not sized:
        errors.append(f"{where} width must be 1-24 and height 1-1000")
    elif not (isinstance(x, int) and isinstance(y, int) and x >= 0 and x + width <= DASHBOARD_COLUMNS and y >= 0):
        errors.append(f"{where} must lie within the dashboard's 24 columns")
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        return [*errors, f"{where}.properties is required"]
    kind = widget["type"]
    if kind in ("metric", "log") and not (properties.get("region") or default_region):
        errors.append(f"{where}.properties.region is required")
    if kind == "metric":
        metrics = properties.get("metrics")
        if not isinstance(metrics, list) or not metrics:
            errors.append(f"{where}.properties.metrics must list at least one metric")
        else:
            for number, entry in enumerate(metrics):
                errors += _metric_entry_errors(entry, f"{where}.properties.metrics[{number}]")
        if "stat" in properties and not STATISTIC.match(str(properties["stat"])):
            errors.append(f"{where}.properties.stat {properties['stat']!r} is not a statistic")
        for line in (properties.get("annotations") or {}).get("horizontal", []):
            if not isinstance(line, dict) or not isinstance(line.get("value"), int | float):
                errors.append(f"{where} has a horizontal annotation without a numeric value")
    if kind == "alarm":
        alarms = properties.get("alarms")
        if not isinstance(alarms, list) or not alarms or len(alarms) > 100:
            errors.append(f"{where}.properties.alarms must list 1-100 alarm ARNs")
        else:
            errors += [f"{where} names {arn!r}, not an alarm ARN" for arn in alarms if not ALARM_ARN.match(str(arn))]
    if kind == "log" and not str(properties.get("query", "")).startswith("SOURCE '"):
        errors.append(f"{where}.properties.query must start with SOURCE '<log group>'")
    return errors


def dashboard_errors(body: str) -> list[str]:
    """The validation messages AWS would answer PutDashboard with for this body (none: valid)."""
    try:
        document = json.loads(body)
    except ValueError:
        return ["The dashboard body is invalid JSON"]
    widgets = document.get("widgets") if isinstance(document, dict) else None
    if not isinstance(widgets, list):
        return ["The dashboard body must be an object with a widgets array"]
    default_region = bool(document.get("region"))
    return [error for index, widget in enumerate(widgets) for error in _widget_errors(widget, index, default_region)]


def _patch_cloudwatch_dashboards() -> None:
    """Refuse dashboard bodies AWS would refuse."""
    from moto.cloudwatch.exceptions import DashboardInvalidInputError
    from moto.cloudwatch.responses import CloudWatchResponse

    put_dashboard = CloudWatchResponse.put_dashboard

    def put_valid_dashboard(self: CloudWatchResponse) -> Any:
        errors = dashboard_errors(self._get_param("DashboardBody") or "")
        if errors:
            raise DashboardInvalidInputError("The input for the dashboard body is invalid: " + "; ".join(errors))
        return put_dashboard(self)

    CloudWatchResponse.put_dashboard = put_valid_dashboard  # type: ignore[method-assign]


def _query_definitions(backend: Any) -> dict[str, dict[str, Any]]:
    """The saved queries of one Logs backend (account and region), by id."""
    if not hasattr(backend, "_djaws_query_definitions"):
        backend._djaws_query_definitions = {}
    return backend._djaws_query_definitions  # type: ignore[no-any-return]


def _patch_logs_query_definitions() -> None:
    """Saved Logs Insights queries: put (create or update by id), describe (by name prefix), delete."""
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def put_query_definition(self: LogsResponse) -> str:
        name, query = self._get_param("name"), self._get_param("queryString")
        if not name or not query:
            raise InvalidParameterException("name and queryString are required")
        saved = _query_definitions(self.logs_backend)
        definition_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
        if self._get_param("queryDefinitionId") and definition_id not in saved:
            raise ResourceNotFoundException(f"Query definition {definition_id} does not exist")
        saved[definition_id] = {
            "queryDefinitionId": definition_id,
            "name": name,
            "queryString": query,
            "logGroupNames": self._get_param("logGroupNames") or [],
            "lastModified": int(time.time() * 1000),
        }
        return json.dumps({"queryDefinitionId": definition_id})

    def describe_query_definitions(self: LogsResponse) -> str:
        prefix = self._get_param("queryDefinitionNamePrefix") or ""
        saved = _query_definitions(self.logs_backend).values()
        return json.dumps({"queryDefinitions": [entry for entry in saved if entry["name"].startswith(prefix)]})

    def delete_query_definition(self: LogsResponse) -> str:
        saved = _query_definitions(self.logs_backend)
        if saved.pop(self._get_param("queryDefinitionId"), None) is None:
            raise ResourceNotFoundException("The query definition does not exist")
        return json.dumps({"success": True})

    LogsResponse.put_query_definition = put_query_definition  # type: ignore[attr-defined]
    LogsResponse.describe_query_definitions = describe_query_definitions  # type: ignore[attr-defined]
    LogsResponse.delete_query_definition = delete_query_definition  # type: ignore[attr-defined]


def _budgets_may_publish(topic_arn: str) -> bool:
    """Whether the topic exists and its policy lets budgets.amazonaws.com publish to it."""
    from moto.sns.exceptions import TopicNotFound
    from moto.sns.models import sns_backends

    parts = topic_arn.split(":")
    if len(parts) != 6:
        return False
    try:
        topic = sns_backends[parts[4]][parts[3]].get_topic(topic_arn)
    except (KeyError, TopicNotFound):
        return False
    for statement in topic._policy_json.get("Statement", []):
        principal = statement.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (
            statement.get("Effect") == "Allow"
            and "budgets.amazonaws.com" in ([services] if isinstance(services, str) else services)
            and {"sns:publish", "sns:*"} & {action.lower() for action in actions}
        ):
            return True
    return False


def _check_sns_subscribers(subscribers: list[dict[str, Any]]) -> None:
    """Refuse an SNS subscriber AWS Budgets could not publish to, as AWS does."""
    from moto.core.exceptions import JsonRESTError

    for subscriber in subscribers or []:
        if subscriber.get("SubscriptionType") == "SNS" and not _budgets_may_publish(subscriber.get("Address", "")):
            raise JsonRESTError(
                "InvalidParameterException",
                f"Budgets cannot publish to the SNS topic {subscriber.get('Address')}: it does not exist or its "
                "policy does not allow budgets.amazonaws.com to publish",
            )


def _patch_budgets() -> None:
    """Read a notification's subscribers back, keep tags, update budgets, refuse SNS subscribers Budgets may not
    publish to."""
    from moto.budgets.exceptions import BudgetMissingLimit, NotFoundException
    from moto.budgets.models import BudgetsBackend
    from moto.budgets.responses import BudgetsResponse
    from moto.utilities.tagging_service import TaggingService

    create_budget = BudgetsBackend.create_budget
    create_notification = BudgetsBackend.create_notification

    def create_budget_checking_topics(
        self: BudgetsBackend, account_id: str, budget: dict[str, Any], notifications: list[dict[str, Any]]
    ) -> None:
        for notification in notifications:
            _check_sns_subscribers(notification.get("Subscribers", []))
        create_budget(self, account_id=account_id, budget=budget, notifications=notifications)

    def create_notification_checking_topics(self: BudgetsBackend, **kwargs: Any) -> None:
        _check_sns_subscribers(kwargs.get("subscribers") or [])
        create_notification(self, **kwargs)

    def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
        budget_name, wanted = self._get_param("BudgetName"), self._get_param("Notification") or {}
        budget = self.backend.budgets[self._get_param("AccountId")].get(budget_name)
        if budget is None:
            raise NotFoundException(f"Unable to get subscribers: {budget_name} - the budget doesn't exist.")
        keys = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")
        for notification in budget.notifications:
            if all(notification.details.get(key) == wanted.get(key) for key in keys if key in wanted):
                return json.dumps({"Subscribers": notification.subscribers, "NextToken": None})
        raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")

    def tags(response: BudgetsResponse) -> TaggingService:
        backend = response.backend
        if not hasattr(backend, "_djaws_tags"):
            backend._djaws_tags = TaggingService(tag_name="ResourceTags")  # type: ignore[attr-defined]
        return backend._djaws_tags  # type: ignore[attr-defined]

    create_budget_response = BudgetsResponse.create_budget

    def create_budget_with_tags(self: BudgetsResponse) -> str:
        body = create_budget_response(self)
        budget_name = self._get_param("Budget")["BudgetName"]
        arn = f"arn:{self.partition}:budgets::{self._get_param('AccountId')}:budget/{budget_name}"
        tags(self).tag_resource(arn, self._get_param("ResourceTags") or [])
        return body

    def tag_resource(self: BudgetsResponse) -> str:
        tags(self).tag_resource(self._get_param("ResourceARN"), self._get_param("ResourceTags") or [])
        return "{}"

    def untag_resource(self: BudgetsResponse) -> str:
        tags(self).untag_resource_using_names(self._get_param("ResourceARN"), self._get_param("ResourceTagKeys") or [])
        return "{}"

    def list_tags_for_resource(self: BudgetsResponse) -> str:
        return json.dumps(tags(self).list_tags_for_resource(self._get_param("ResourceARN")))

    def update_budget(self: BudgetsResponse) -> str:
        new = dict(self._get_param("NewBudget") or {})
        current = self.backend.budgets[self._get_param("AccountId")].get(new.get("BudgetName", ""))
        if current is None:
            raise NotFoundException(f"Unable to update budget: {new.get('BudgetName')} - the budget doesn't exist.")
        if "BudgetLimit" not in new and "PlannedBudgetLimits" not in new:
            raise BudgetMissingLimit()
        new.setdefault("TimePeriod", current.budget["TimePeriod"])
        new["LastUpdatedTime"] = time.time()
        current.budget = new
        return "{}"

    BudgetsResponse.create_budget = create_budget_with_tags  # type: ignore[method-assign]
    BudgetsResponse.update_budget = update_budget  # type: ignore[attr-defined]
    BudgetsResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    BudgetsResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    BudgetsBackend.create_budget = create_budget_checking_topics  # type: ignore[method-assign]
    BudgetsBackend.create_notification = create_notification_checking_topics  # type: ignore[method-assign]
    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification  # type: ignore[attr-defined]


def patch_monitoring() -> None:
    """Apply the monitoring patches (called once from ``emulator.patch_moto``)."""
    _patch_cloudwatch_dashboards()
    _patch_logs_query_definitions()
    _patch_budgets()
