"""HTTPS on the ECS stack, applied for real to the emulator: the ACM certificate, its DNS validation, the
Route 53 alias and the HTTP -> HTTPS redirect, switched on only once the certificate is issued.

Its own small stack (a project with a domain): only the resources HTTPS involves (network, load balancer,
listeners and their rules, certificate, records) are applied, with ``-target``; the database, cache and
services are the session's demo stack's business (test_infra_ecs.py). The emulator issues a certificate
only when its validation records are in a Route 53 zone (emulator.py, ``_patch_acm``), as ACM does once
they resolve. One walk through the life of a domain, in order:

1. domain_name alone: the certificate is requested and left pending, its records are printed, HTTP
   serves (no redirect to a listener that does not exist).
2. The user publishes those records in their DNS (here: a Route 53 zone the stack does not manage) and
   applies with certificate_records_published = true: the apply waits for the certificate, then HTTPS
   serves and HTTP redirects.
3. The domain moves to a zone the stack manages (hosted_zone_id) and a new name: the stack writes the
   validation record and the alias itself, and the new certificate replaces the old on the listener.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.emulator import Emulator
from support.stacks import ENVIRONMENT, StackCycle, new_cycle

pytestmark = pytest.mark.xdist_group("infra-apply")

PROJECT_NAME = "Fabrikam Secure Storefront"
DOMAIN = "shop.fabrikam.test"
SITE = f"{ENVIRONMENT}.{DOMAIN}"
NEW_SITE = f"www.{DOMAIN}"
# What HTTPS involves; everything they depend on comes along, nothing else.
TARGETS = (
    "aws_lb_listener.http",
    "aws_lb_listener_rule.api",
    "aws_lb_listener_rule.websocket",
    "aws_route53_record.site",
    "aws_acm_certificate.site",
)


class HttpsStack:
    """The project's ECS stack, applied to the emulator with only what HTTPS involves."""

    def __init__(self, cycle: StackCycle) -> None:
        self.cycle = cycle
        self.timings: dict[str, float] = {}

    @property
    def emulator(self) -> Emulator:
        """The emulator the stack lives in."""
        return self.cycle.emulator

    def apply(self, label: str, **variables: str) -> dict[str, Any]:
        """Apply the targets with the environment's tfvars plus `variables`; the outputs afterwards."""
        arguments = [f"-var={name}={value}" for name, value in variables.items()]
        arguments += [f"-target={target}" for target in TARGETS]
        started = time.monotonic()
        self.cycle.stack.run(
            "apply", "-input=false", "-auto-approve", f"-var-file=envs/{ENVIRONMENT}.tfvars", *arguments
        )
        self.timings[label] = round(time.monotonic() - started, 1)
        return self.cycle.stack.output()

    def console(self, expression: str, **variables: str) -> object:
        """A value Terraform computes from the state and the variables (the locals outputs are built from)."""
        stack = self.cycle.stack
        result = subprocess.run(
            ["terraform", "console", f"-var-file=envs/{ENVIRONMENT}.tfvars"]
            + [f"-var={name}={value}" for name, value in variables.items()],
            input=f"jsonencode({expression})\n",
            cwd=stack.directory,
            env=stack.environment(),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(json.loads(result.stdout))

    def listeners(self) -> dict[int, dict[str, Any]]:
        """The load balancer's listeners by port."""
        elbv2 = self.emulator.client("elbv2")
        name = self.cycle.environment_names["alb"]
        arn = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]
        return {listener["Port"]: listener for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]}

    def rule_listeners(self) -> set[str]:
        """The listeners that carry the path rules (/api/*, /ws/*)."""
        elbv2 = self.emulator.client("elbv2")
        carriers = set()
        for port, listener in self.listeners().items():
            rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            if any(not rule["IsDefault"] for rule in rules):
                carriers.add(f"{listener['Protocol']}:{port}")
        return carriers

    def certificate(self, domain: str) -> dict[str, Any]:
        """The stack's ACM certificate for `domain` (the newest when several were requested)."""
        acm = self.emulator.client("acm")
        summaries = [
            summary for summary in acm.list_certificates()["CertificateSummaryList"] if summary["DomainName"] == domain
        ]
        assert summaries, f"no certificate for {domain}"
        return acm.describe_certificate(CertificateArn=summaries[-1]["CertificateArn"])["Certificate"]


def records(emulator: Emulator, zone_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """A zone's records by (name without the final dot, type)."""
    route53 = emulator.client("route53")
    listing = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(record["Name"].rstrip("."), record["Type"]): record for record in listing}


@pytest.fixture(scope="module")
def https_stack(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_cli_config: Path
) -> Iterator[HttpsStack]:
    """The project bootstrapped and initialised against the emulator; destroyed after the module."""
    cycle = new_cycle(
        PROJECT_NAME,
        "ecs-fargate",
        tmp_path_factory.mktemp("https"),
        emulator,
        terraform_cli_config,
        domain_name=DOMAIN,
    )
    cycle.bootstrap()
    cycle.init()
    stack = HttpsStack(cycle)
    yield stack
    cycle.destroy()
    print(f"\nhttps-stack-apply-seconds: {stack.timings}")


@pytest.fixture(scope="module")
def zone_id(emulator: Emulator) -> str:
    """The Route 53 zone of the domain, made by its owner outside the stack."""
    route53 = emulator.client("route53")
    zone = route53.create_hosted_zone(Name=DOMAIN, CallerReference=f"https-{time.monotonic_ns()}")
    return zone["HostedZone"]["Id"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def pending(https_stack: HttpsStack) -> dict[str, Any]:
    """Step 1: domain_name alone, no zone, records not published yet."""
    return https_stack.apply("domain-only")


@pytest.fixture(scope="module")
def published(https_stack: HttpsStack, pending: dict[str, Any], zone_id: str) -> dict[str, Any]:
    """Step 2: the printed records published in the user's DNS, then certificate_records_published = true."""
    route53 = https_stack.emulator.client("route53")
    changes = [
        {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": record["name"],
                "Type": record["type"],
                "TTL": 300,
                "ResourceRecords": [{"Value": record["value"]}],
            },
        }
        for record in pending["certificate_validation_records"].values()
    ]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return https_stack.apply("records-published", certificate_records_published="true")


@pytest.fixture(scope="module")
def zoned(https_stack: HttpsStack, published: dict[str, Any], zone_id: str) -> dict[str, Any]:
    """Step 3: a new name in a zone the stack manages."""
    return https_stack.apply("zone-managed", domain_name=NEW_SITE, hosted_zone_id=zone_id)


def test_domain_alone_requests_a_certificate_and_keeps_serving_http(
    https_stack: HttpsStack, pending: dict[str, Any]
) -> None:
    certificate = https_stack.certificate(SITE)
    assert certificate["Status"] == "PENDING_VALIDATION"
    assert certificate["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"
    listeners = https_stack.listeners()
    assert set(listeners) == {80}, "no HTTPS listener before the certificate is issued"
    assert listeners[80]["DefaultActions"][0]["Type"] == "forward", "HTTP serves the site until HTTPS can"
    assert https_stack.rule_listeners() == {"HTTP:80"}
    assert pending["certificate_status"] == "awaiting-dns-records"
    assert pending["site_url"] == f"http://{SITE}"
    assert https_stack.console("local.site_scheme") == "http"


def test_printed_records_are_the_ones_acm_asks_for(https_stack: HttpsStack, pending: dict[str, Any]) -> None:
    asked = https_stack.certificate(SITE)["DomainValidationOptions"][0]["ResourceRecord"]
    assert pending["certificate_validation_records"] == {
        SITE: {"name": asked["Name"], "type": asked["Type"], "value": asked["Value"]}
    }


def test_published_records_issue_the_certificate_and_turn_https_on(
    https_stack: HttpsStack, published: dict[str, Any]
) -> None:
    certificate = https_stack.certificate(SITE)
    assert certificate["Status"] == "ISSUED"
    listeners = https_stack.listeners()
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["Certificates"] == [{"CertificateArn": certificate["CertificateArn"]}]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS" and redirect["RedirectConfig"]["Port"] == "443"
    assert https_stack.rule_listeners() == {"HTTPS:443"}, "the path rules serve on HTTPS, not beside the redirect"
    assert published["certificate_status"] == "serving"
    assert published["site_url"] == f"https://{SITE}"
    settings = {"certificate_records_published": "true"}
    assert https_stack.console("local.site_scheme", **settings) == "https"
    assert https_stack.console("local.site_origins", **settings) == [f"https://{SITE}"]


def test_managed_zone_gets_the_validation_record_and_the_alias(
    https_stack: HttpsStack, zoned: dict[str, Any], zone_id: str
) -> None:
    certificate = https_stack.certificate(NEW_SITE)
    assert certificate["Status"] == "ISSUED", "validated through the zone's records the stack wrote"
    asked = certificate["DomainValidationOptions"][0]["ResourceRecord"]
    in_zone = records(https_stack.emulator, zone_id)
    assert in_zone[(asked["Name"].rstrip("."), "CNAME")]["ResourceRecords"] == [{"Value": asked["Value"]}]
    alias = in_zone[(NEW_SITE, "A")]["AliasTarget"]
    balancer = https_stack.emulator.client("elbv2").describe_load_balancers(
        Names=[https_stack.cycle.environment_names["alb"]]
    )["LoadBalancers"][0]
    assert alias["DNSName"].rstrip(".") == balancer["DNSName"]
    assert alias["HostedZoneId"] == balancer["CanonicalHostedZoneId"]
    listeners = https_stack.listeners()
    assert listeners[443]["Certificates"] == [{"CertificateArn": certificate["CertificateArn"]}]
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    assert zoned["site_url"] == f"https://{NEW_SITE}"
    assert zoned["certificate_validation_records"] == {
        NEW_SITE: {"name": asked["Name"], "type": asked["Type"], "value": asked["Value"]}
    }
