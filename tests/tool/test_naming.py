"""The naming module: every derived AWS name obeys its service's documented rules, or the name is rejected."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djaws.naming import (
    ENVIRONMENTS,
    RESOURCE_KINDS,
    NamingError,
    derive_names,
    project_slug,
    resource_prefix,
)

# Rules as AWS documents them, written independently of how naming.py builds names.
DNS_LABELISH = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def valid_bucket(name: str) -> bool:
    """S3 general purpose bucket naming rules."""
    try:
        ipaddress.IPv4Address(name)
        return False
    except ValueError:
        pass
    return (
        3 <= len(name) <= 63
        and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) is not None
        and ".." not in name
        and not name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )


def valid_elb(name: str) -> bool:
    """ALB and target group names: 1-32 alphanumerics or hyphens, not starting or ending with a hyphen."""
    return len(name) <= 32 and DNS_LABELISH.match(name) is not None and not name.startswith("internal-")


def valid_rds(name: str) -> bool:
    """RDS DB instance identifier: 1-63, letter first, letters/digits/hyphens, no '--', no trailing hyphen."""
    return re.fullmatch(r"[a-z][a-z0-9-]{0,62}", name) is not None and "--" not in name and not name.endswith("-")


def valid_elasticache(name: str) -> bool:
    """Replication group id: 1-40, letter first, lowercase letters/digits/hyphens, no '--', no trailing hyphen."""
    return re.fullmatch(r"[a-z][a-z0-9-]{0,39}", name) is not None and "--" not in name and not name.endswith("-")


def valid_ecr(name: str) -> bool:
    return 2 <= len(name) <= 256 and re.fullmatch(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", name) is not None


def valid_iam_role(name: str) -> bool:
    return 1 <= len(name) <= 64 and re.fullmatch(r"[\w+=,.@-]+", name, re.ASCII) is not None


def valid_ecs(name: str) -> bool:
    return 1 <= len(name) <= 255 and re.fullmatch(r"[A-Za-z0-9_-]+", name) is not None


def valid_scheduler_group(name: str) -> bool:
    """EventBridge Scheduler CreateScheduleGroup Name: 1-64 letters, digits, '.', '_' and '-'."""
    return re.fullmatch(r"[0-9a-zA-Z._-]{1,64}", name) is not None


def valid_log_group(name: str) -> bool:
    # Room is left for "/<service>" (up to 32 characters) under the prefix.
    return 1 <= len(name) <= 512 - 33 and re.fullmatch(r"[\w./#-]+", name, re.ASCII) is not None


def valid_secret(name: str) -> bool:
    return 1 <= len(name) <= 512 and re.fullmatch(r"[\w/+=.@-]+", name, re.ASCII) is not None


def valid_generic(name: str) -> bool:
    """Subnet groups, security groups, SNS topics, tags: lowercase letters, digits and hyphens, <= 255."""
    return 1 <= len(name) <= 255 and re.fullmatch(r"[a-z0-9-]+", name) is not None and "--" not in name


VALIDATORS = {
    "alb": valid_elb,
    "target_group_web": valid_elb,
    "target_group_frontend": valid_elb,
    "target_group_websocket": valid_elb,
    "media_bucket": valid_bucket,
    "state_bucket": valid_bucket,
    "ecr_backend": valid_ecr,
    "ecr_frontend": valid_ecr,
    "rds_instance": valid_rds,
    "elasticache_group": valid_elasticache,
    "iam_execution_role": valid_iam_role,
    "iam_task_role": valid_iam_role,
    "iam_instance_role": valid_iam_role,
    "iam_deploy_role": valid_iam_role,
    "iam_scheduler_role": valid_iam_role,
    "scheduler_group": valid_scheduler_group,
    "log_group_prefix": valid_log_group,
    "secret_django_key": valid_secret,
}
for _kind in RESOURCE_KINDS:
    if _kind.key.startswith("ecs_"):
        VALIDATORS.setdefault(_kind.key, valid_ecs)
    VALIDATORS.setdefault(_kind.key, valid_generic)


def assert_all_names_valid(project_name: str) -> None:
    names = derive_names(project_name)
    assert names.project_slug.isidentifier()
    assert re.fullmatch(r"[a-z][a-z0-9_]*", names.project_slug)
    assert re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", names.resource_prefix)
    assert re.fullmatch(r"[a-z][a-z0-9_]{0,62}", names.database_name)
    for key, name in names.shared().items():
        assert VALIDATORS[key](name), (key, name)
    for environment in ENVIRONMENTS:
        for key, name in names.for_environment(environment).items():
            assert VALIDATORS[key](name), (key, environment, name)


@given(st.text(max_size=120))
@settings(max_examples=400, deadline=None)
def test_any_unicode_name_gives_valid_names_or_clear_error(project_name: str) -> None:
    try:
        assert_all_names_valid(project_name)
    except NamingError as error:
        message = str(error)
        assert message and "\n" not in message


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9 _\-.]{0,99}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_latin_names_are_accepted_and_valid(project_name: str) -> None:
    try:
        assert_all_names_valid(project_name)
    except NamingError as error:
        # The only Latin names refused are Python keywords and S3's reserved prefixes.
        assert re.search("Python keyword|S3 reserves", str(error)), error


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80))
@settings(max_examples=200, deadline=None)
def test_names_are_deterministic(project_name: str) -> None:
    try:
        first = derive_names(project_name).as_dict()
    except NamingError:
        return
    assert derive_names(project_name).as_dict() == first


def test_slug_and_prefix_of_typical_names() -> None:
    assert project_slug("Acme Shop") == "acme_shop"
    assert resource_prefix("Acme Shop") == "acme-shop"
    assert resource_prefix("test_workflow_v4") == "test-workflow-v4"
    assert project_slug("test-workflow-v4") == "test_workflow_v4"
    assert resource_prefix("AcmeShop") == "acme-shop"
    assert resource_prefix("Café Crème") == "cafe-creme"


def test_names_follow_prefix_kind_env_pattern() -> None:
    names = derive_names("Acme Shop").for_environment("demo")
    assert names["alb"] == "acme-shop-alb-demo"
    assert names["media_bucket"] == "acme-shop-media-demo"
    assert names["ecs_cluster"] == "acme-shop-cluster-demo"
    assert names["rds_instance"] == "acme-shop-db-demo"
    assert names["log_group_prefix"] == "/acme-shop/demo"
    assert names["scheduler_group"] == "acme-shop-schedules-demo"
    assert names["iam_scheduler_role"] == "acme-shop-ecs-scheduler-demo"


def test_long_names_are_truncated_with_stable_unique_hash() -> None:
    first = derive_names("a" * 50 + " first").for_environment("prod")
    second = derive_names("a" * 50 + " second").for_environment("prod")
    for key in ("alb", "target_group_frontend", "elasticache_group", "rds_instance"):
        assert first[key] != second[key]
        assert first[key].endswith("-prod")
    assert len(first["target_group_frontend"]) <= 32
    assert len(first["elasticache_group"]) <= 40


def test_sixty_character_name_fits_every_limit() -> None:
    name = "Global Logistics Platform For Enterprise Customers Worldwide"
    assert len(name) == 60
    assert_all_names_valid(name)


@pytest.mark.parametrize(
    ("project_name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("日本語のプロジェクト", "no Latin letters"),
        ("쇼핑몰", "no Latin letters"),
        ("123 shop", "start with a letter"),
        ("sthree shop", "S3 reserves"),
        ("class", "Python keyword"),
        ("x" * 101, "limit is 100"),
        ("tab\tname", "control characters"),
    ],
)
def test_unusable_names_are_rejected_with_reason(project_name: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason):
        derive_names(project_name)


def test_unknown_environment_is_rejected() -> None:
    with pytest.raises(NamingError, match="unknown environment"):
        derive_names("Acme").for_environment("production")


def test_a_name_of_exactly_the_length_limit_is_accepted() -> None:
    names = derive_names("x" * 100)
    assert names.project_name == "x" * 100


def test_surrounding_spaces_are_not_part_of_the_name() -> None:
    assert derive_names("  Acme Shop  ").project_name == "Acme Shop"


def test_a_name_that_exactly_fills_a_limit_is_kept_whole_and_one_more_is_hashed() -> None:
    # The ALB's limit is 32: "-alb-demo" leaves 23 characters for the prefix.
    fits, over = derive_names("a" * 23), derive_names("a" * 24)
    assert fits.for_environment("demo")["alb"] == "a" * 23 + "-alb-demo"
    shortened = over.for_environment("demo")["alb"]
    assert len(shortened) <= 32
    assert not shortened.startswith("a" * 24)


def test_a_long_database_name_is_shortened_with_underscores_only() -> None:
    name = derive_names("Very Long Project Name " * 4).database_name
    assert len(name) <= 63
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
