"""Find one environment's AWS resources without Terraform state: by name, by tag, by where they live.

Names come from ``infra/names.json``; tags are the ``Project`` and ``Environment`` tags Terraform's
``default_tags`` put on everything. Resources inside the environment's VPC belong to it whatever
their names. The bootstrap stack (state bucket, GitHub roles) carries no ``Environment`` tag and
none of these names, so nothing here ever finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from ops.aws import Aws

ServiceNames = tuple[str, ...]
# Error codes that mean "it is not there" across the services (each spells it its own way).
NOT_FOUND_CODES = {"404", "ObjectNotFoundException", "ServiceNotActiveException", "ResourceNotFound"}
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


def is_gone(error: ClientError) -> bool:
    """Whether an AWS error says the resource does not exist (any more)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return "NotFound" in code or code.startswith("NoSuch") or code in NOT_FOUND_CODES


@dataclass(frozen=True)
class Resource:
    """One thing to delete: its kind, what the delete call takes, and how it was found."""

    kind: str
    identifier: str
    found_by: str
    arn: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def claims(self, arn: str) -> bool:
        """Whether a tagged ARN is this resource (tagging ARNs end with the name or id)."""
        return arn == self.arn or arn.rstrip("*:").endswith((f"/{self.identifier}", f":{self.identifier}"))


@dataclass
class Discovery:
    """Every finder of one environment; each ``find_<kind>`` returns what is there now."""

    aws: Aws
    prefix: str
    environment: str
    names: dict[str, str]
    settled: set[str] = field(default_factory=set)

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def safely(self, call: Callable[[], list[Resource]]) -> list[Resource]:
        """A finder's result, or nothing when what it looks inside is gone."""
        try:
            return call()
        except ClientError as error:
            if is_gone(error):
                return []
            raise

    # --- Shared look-ups ---------------------------------------------------------------------------

    @property
    def tag_filters(self) -> list[dict[str, Any]]:
        return [
            {"Name": "tag:Project", "Values": [self.prefix]},
            {"Name": "tag:Environment", "Values": [self.environment]},
        ]

    def is_ours(self, tags: list[dict[str, str]] | None) -> bool:
        """Tags found on a resource by its name: any Project/Environment tag must be this one's."""
        by_key = {tag["Key"]: tag["Value"] for tag in tags or []}
        return by_key.get("Project", self.prefix) == self.prefix and (
            by_key.get("Environment", self.environment) == self.environment
        )

    def vpc_ids(self) -> list[str]:
        ec2 = self.client("ec2")
        by_name = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [self.names["vpc"]]}])["Vpcs"]
        by_tag = ec2.describe_vpcs(Filters=self.tag_filters)["Vpcs"]
        return sorted({vpc["VpcId"] for vpc in by_name + by_tag if self.is_ours(vpc.get("Tags"))})

    def tagged_arns(self) -> list[str]:
        """Every ARN the Resource Groups Tagging API knows with this environment's tags."""
        tagging = self.client("resourcegroupstaggingapi")
        filters = [{"Key": "Project", "Values": [self.prefix]}, {"Key": "Environment", "Values": [self.environment]}]
        arns: list[str] = []
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
            arns += [entry["ResourceARN"] for entry in page["ResourceTagMappingList"]]
        return arns

    @cached_property
    def service_names(self) -> ServiceNames:
        kinds = ("web", "websocket", "frontend", "worker", "beat", "app")
        return tuple(self.names[f"ecs_service_{kind}"] for kind in kinds if f"ecs_service_{kind}" in self.names)

    # --- Containers --------------------------------------------------------------------------------

    def find_scalable_target(self) -> list[Resource]:
        cluster = self.names["ecs_cluster"]
        scaling = self.client("application-autoscaling")
        targets = scaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{name}" for name in self.service_names]
        )["ScalableTargets"]
        return [
            Resource(
                "scalable_target", target["ResourceId"], "name", details={"dimension": target["ScalableDimension"]}
            )
            for target in targets
        ]

    def find_schedule_group(self) -> list[Resource]:
        """The group of EventBridge Scheduler schedules that start management tasks (ECS without Celery)."""
        name = self.names.get("scheduler_group")
        if not name:
            return []
        scheduler = self.client("scheduler")
        return self.safely(
            lambda: [Resource("schedule_group", name, "name", scheduler.get_schedule_group(Name=name)["Arn"])]
        )

    def find_ecs_service(self) -> list[Resource]:
        ecs, cluster = self.client("ecs"), self.names["ecs_cluster"]
        arns = [
            arn for page in ecs.get_paginator("list_services").paginate(cluster=cluster) for arn in page["serviceArns"]
        ]
        names = sorted({arn.rsplit("/", 1)[-1] for arn in arns} | set(self.service_names))
        found = []
        for start in range(0, len(names), 10):
            for service in ecs.describe_services(cluster=cluster, services=names[start : start + 10])["services"]:
                if service["status"] != "INACTIVE":
                    how = "name" if service["serviceName"] in self.service_names else f"in cluster {cluster}"
                    found.append(Resource("ecs_service", service["serviceName"], how, service["serviceArn"]))
        return found

    def find_ecs_task(self) -> list[Resource]:
        ecs, cluster = self.client("ecs"), self.names["ecs_cluster"]
        pages = ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING")
        return [
            Resource("ecs_task", arn.rsplit("/", 1)[-1], f"running in cluster {cluster}", arn)
            for page in pages
            for arn in page["taskArns"]
        ]

    def find_ecs_cluster(self) -> list[Resource]:
        clusters = self.client("ecs").describe_clusters(clusters=[self.names["ecs_cluster"]])["clusters"]
        return [
            Resource("ecs_cluster", cluster["clusterName"], "name", cluster["clusterArn"])
            for cluster in clusters
            if cluster["status"] != "INACTIVE"
        ]

    def find_task_definition(self) -> list[Resource]:
        ecs, found = self.client("ecs"), []
        for family in self.service_names:
            pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE")
            for arn in (arn for page in pages for arn in page["taskDefinitionArns"]):
                if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
                    found.append(Resource("task_definition", arn.rsplit("/", 1)[-1], "family name", arn))
        return found

    def find_ec2_instance(self) -> list[Resource]:
        ec2, state = self.client("ec2"), {"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}
        named = [{"Name": "tag:Name", "Values": [self.names["ec2_instance"]]}, state]
        reservations = ec2.describe_instances(Filters=named)["Reservations"]
        vpc_ids = self.vpc_ids()
        if vpc_ids:
            in_vpcs = [{"Name": "vpc-id", "Values": vpc_ids}, state]
            reservations += ec2.describe_instances(Filters=in_vpcs)["Reservations"]
        instances = {instance["InstanceId"]: instance for entry in reservations for instance in entry["Instances"]}
        return [
            Resource("ec2_instance", instance_id, "name or VPC")
            for instance_id, instance in sorted(instances.items())
            if self.is_ours(instance.get("Tags"))
        ]

    # --- DNS and certificates ----------------------------------------------------------------------

    def find_acm_certificate(self) -> list[Resource]:
        """Certificates carry no name of ours: only both tags make one this environment's."""
        acm, found = self.client("acm"), []
        for page in acm.get_paginator("list_certificates").paginate():
            for summary in page["CertificateSummaryList"]:
                arn = summary["CertificateArn"]
                tags = acm.list_tags_for_certificate(CertificateArn=arn).get("Tags", [])
                keys = {tag["Key"] for tag in tags}
                if {"Project", "Environment"} <= keys and self.is_ours(tags):
                    found.append(Resource("acm_certificate", summary["DomainName"], "tag", arn))
        return found

    def validation_records(self) -> set[tuple[str, str]]:
        """(name, value) of the DNS records that validate this environment's certificates."""
        acm, records = self.client("acm"), set()
        for certificate in self.find_acm_certificate():
            described = acm.describe_certificate(CertificateArn=certificate.arn)["Certificate"]
            for option in described.get("DomainValidationOptions", []):
                record = option.get("ResourceRecord")
                if record:
                    records.add((record["Name"].rstrip("."), record["Value"].rstrip(".")))
        return records

    def find_dns_record(self) -> list[Resource]:
        """Records in any hosted zone that point at this environment's load balancer or validate its certificate."""
        route53, found = self.client("route53"), []
        balancer = self.names["alb"].lower() + "-"
        validation = self.validation_records()
        for zones in route53.get_paginator("list_hosted_zones").paginate():
            for zone in zones["HostedZones"]:
                pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"])
                for record in (record for page in pages for record in page["ResourceRecordSets"]):
                    target = record.get("AliasTarget", {}).get("DNSName", "").lower().removeprefix("dualstack.")
                    values = {entry["Value"].rstrip(".") for entry in record.get("ResourceRecords", [])}
                    name = record["Name"].rstrip(".")
                    if target.startswith(balancer):
                        how = "points at the load balancer"
                    elif record["Type"] == "CNAME" and any((name, value) in validation for value in values):
                        how = "validates the certificate"
                    else:
                        continue
                    label = f"{name} {record['Type']}"
                    found.append(Resource("dns_record", label, how, details={"zone": zone["Id"], "record": record}))
        return found

    # --- Load balancing ----------------------------------------------------------------------------

    def load_balancers(self) -> list[dict[str, Any]]:
        elbv2 = self.client("elbv2")
        try:
            return list(elbv2.describe_load_balancers(Names=[self.names["alb"]])["LoadBalancers"])
        except ClientError as error:
            if is_gone(error):
                return []
            raise

    def find_listener(self) -> list[Resource]:
        elbv2, found = self.client("elbv2"), []
        for balancer in self.load_balancers():
            for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
                label = f"{balancer['LoadBalancerName']}:{listener['Port']}"
                found.append(Resource("listener", label, "load balancer name", listener["ListenerArn"]))
        return found

    def find_load_balancer(self) -> list[Resource]:
        return [
            Resource("load_balancer", balancer["LoadBalancerName"], "name", balancer["LoadBalancerArn"])
            for balancer in self.load_balancers()
        ]

    def find_target_group(self) -> list[Resource]:
        elbv2, found = self.client("elbv2"), []
        for key in ("target_group_web", "target_group_frontend", "target_group_websocket"):
            try:
                groups = elbv2.describe_target_groups(Names=[self.names[key]])["TargetGroups"]
            except ClientError as error:
                if not is_gone(error):
                    raise
                continue
            found += [
                Resource("target_group", group["TargetGroupName"], "name", group["TargetGroupArn"]) for group in groups
            ]
        return found

    # --- Data stores -------------------------------------------------------------------------------

    def find_rds_instance(self) -> list[Resource]:
        rds, name = self.client("rds"), self.names["rds_instance"]
        instances = self.safely(
            lambda: [
                Resource(
                    "rds_instance", name, "name", instance["DBInstanceArn"], {"status": instance["DBInstanceStatus"]}
                )
                for instance in rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
            ]
        )
        return instances

    def find_cache_group(self) -> list[Resource]:
        cache, name = self.client("elasticache"), self.names["elasticache_group"]
        return self.safely(
            lambda: [
                Resource("cache_group", name, "name", group.get("ARN", ""), {"status": group["Status"]})
                for group in cache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"]
            ]
        )

    def find_db_subnet_group(self) -> list[Resource]:
        rds, name = self.client("rds"), self.names["db_subnet_group"]
        return self.safely(
            lambda: [
                Resource("db_subnet_group", name, "name", group.get("DBSubnetGroupArn", ""))
                for group in rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"]
            ]
        )

    def find_db_parameter_group(self) -> list[Resource]:
        rds, name = self.client("rds"), self.names["db_parameter_group"]
        return self.safely(
            lambda: [
                Resource("db_parameter_group", name, "name", group.get("DBParameterGroupArn", ""))
                for group in rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
            ]
        )

    def find_cache_subnet_group(self) -> list[Resource]:
        cache, name = self.client("elasticache"), self.names["cache_subnet_group"]
        return self.safely(
            lambda: [
                Resource("cache_subnet_group", name, "name", group.get("ARN", ""))
                for group in cache.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"]
            ]
        )

    # --- Storage, images, logs, alarms, secrets ----------------------------------------------------

    def find_ecr_repository(self) -> list[Resource]:
        ecr, found = self.client("ecr"), []
        for key in ("ecr_backend", "ecr_frontend"):
            found += self.safely(
                lambda key=key: [
                    Resource("ecr_repository", repository["repositoryName"], "name", repository["repositoryArn"])
                    for repository in ecr.describe_repositories(repositoryNames=[self.names[key]])["repositories"]
                ]
            )
        return found

    def find_s3_bucket(self) -> list[Resource]:
        bucket = self.names["media_bucket"]
        try:
            self.client("s3").head_bucket(Bucket=bucket)
        except ClientError as error:
            if is_gone(error) or error.response["Error"]["Code"] == "403":
                return []
            raise
        return [Resource("s3_bucket", bucket, "name", f"arn:aws:s3:::{bucket}")]

    def find_log_group(self) -> list[Resource]:
        logs, found = self.client("logs"), []
        prefixes = (
            self.names["log_group_prefix"] + "/",
            f"/aws/rds/instance/{self.names['rds_instance']}/",
            f"/aws/ecs/containerinsights/{self.names['ecs_cluster']}/",
        )
        for prefix in prefixes:
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
                found += [
                    Resource("log_group", group["logGroupName"], "name prefix", group["arn"].removesuffix(":*"))
                    for group in page["logGroups"]
                ]
        return found

    def topic_arns(self) -> list[str]:
        sns = self.client("sns")
        arns = [topic["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for topic in page["Topics"]]
        return [arn for arn in arns if arn.rsplit(":", 1)[-1] == self.names["alarm_topic"]]

    def find_alarm(self) -> list[Resource]:
        cloudwatch, topics = self.client("cloudwatch"), set(self.topic_arns())
        bases = [self.names[key] for key in ("alb", "rds_instance", "ec2_instance", "elasticache_group")]
        bases += list(self.service_names)
        alarms: dict[str, tuple[str, str]] = {}
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                name, actions = alarm["AlarmName"], set(alarm.get("AlarmActions", []) + alarm.get("OKActions", []))
                if any(name == base or name.startswith(f"{base}-") for base in bases):
                    alarms[name] = (alarm["AlarmArn"], "name")
                elif actions & topics:
                    alarms[name] = (alarm["AlarmArn"], "notifies the alarm topic")
        return [Resource("alarm", name, how, arn) for name, (arn, how) in sorted(alarms.items())]

    def find_dashboard(self) -> list[Resource]:
        name = self.names.get("dashboard")
        if not name:
            return []
        pages = self.client("cloudwatch").get_paginator("list_dashboards").paginate(DashboardNamePrefix=name)
        return [
            Resource("dashboard", entry["DashboardName"], "name", entry.get("DashboardArn", ""))
            for page in pages
            for entry in page["DashboardEntries"]
            if entry["DashboardName"] == name
        ]

    def find_query_definition(self) -> list[Resource]:
        """Saved Logs Insights queries live in a folder named like the dashboard."""
        folder = self.names.get("dashboard")
        if not folder:
            return []
        logs, found, token = self.client("logs"), [], None
        while True:
            page = logs.describe_query_definitions(
                queryDefinitionNamePrefix=f"{folder}/", **({"nextToken": token} if token else {})
            )
            found += [
                Resource("query_definition", entry["name"], "name", details={"id": entry["queryDefinitionId"]})
                for entry in page.get("queryDefinitions", [])
            ]
            token = page.get("nextToken")
            if not token:
                return found

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    def find_budget(self) -> list[Resource]:
        name = self.names.get("budget")
        if not name:
            return []
        budgets = self.client("budgets")
        return self.safely(
            lambda: [
                Resource("budget", budget["BudgetName"], "name")
                for budget in [budgets.describe_budget(AccountId=self.account_id, BudgetName=name)["Budget"]]
            ]
        )

    def find_sns_topic(self) -> list[Resource]:
        return [Resource("sns_topic", self.names["alarm_topic"], "name", arn) for arn in self.topic_arns()]

    def find_secret(self) -> list[Resource]:
        secrets, found = self.client("secretsmanager"), []
        for key in ("secret_django_key", "secret_db_password", "secret_readiness_token", "secret_tls_certificate"):
            try:
                secret = secrets.describe_secret(SecretId=self.names[key])
            except ClientError as error:
                if is_gone(error):
                    continue
                raise
            if secret.get("DeletedDate"):
                self.settled.add(secret["ARN"])
            else:
                found.append(Resource("secret", secret["Name"], "name", secret["ARN"]))
        return found

    def find_ssm_parameter(self) -> list[Resource]:
        """Parameters are found by both tags: their names are Terraform's to choose."""
        ssm = self.client("ssm")
        filters = [
            {"Key": "tag:Project", "Values": [self.prefix]},
            {"Key": "tag:Environment", "Values": [self.environment]},
        ]
        pages = ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters)
        return [
            Resource("ssm_parameter", parameter["Name"], "tag", parameter.get("ARN", ""))
            for page in pages
            for parameter in page["Parameters"]
        ]

    def find_instance_profile(self) -> list[Resource]:
        iam, name = self.client("iam"), self.names["iam_instance_role"]
        return self.safely(
            lambda: [
                Resource(
                    "instance_profile",
                    name,
                    "name",
                    iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"],
                )
            ]
        )

    def find_iam_role(self) -> list[Resource]:
        iam, found = self.client("iam"), []
        keys = ("iam_execution_role", "iam_task_role", "iam_instance_role", "iam_flow_logs_role", "iam_scheduler_role")
        for key in (key for key in keys if key in self.names):
            found += self.safely(
                lambda key=key: [
                    Resource("iam_role", self.names[key], "name", iam.get_role(RoleName=self.names[key])["Role"]["Arn"])
                ]
            )
        return found

    # --- Network -----------------------------------------------------------------------------------

    def in_vpcs(
        self, kind: str, describe: Callable[[list[dict[str, Any]]], Iterator[tuple[str, dict[str, Any]]]]
    ) -> list[Resource]:
        """Resources of one kind inside the environment's VPCs (none without a VPC)."""
        vpc_ids = self.vpc_ids()
        if not vpc_ids:
            return []
        return [
            Resource(kind, identifier, "in the VPC", details=details)
            for identifier, details in describe([{"Name": "vpc-id", "Values": vpc_ids}])
        ]

    def find_flow_log(self) -> list[Resource]:
        ec2, vpc_ids = self.client("ec2"), self.vpc_ids()
        if not vpc_ids:
            return []
        logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": vpc_ids}])["FlowLogs"]
        return [Resource("flow_log", entry["FlowLogId"], "on the VPC") for entry in logs]

    def find_vpc_endpoint(self) -> list[Resource]:
        ec2 = self.client("ec2")
        return self.in_vpcs(
            "vpc_endpoint",
            lambda filters: (
                (endpoint["VpcEndpointId"], {})
                for endpoint in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
                if endpoint["State"].lower() not in ("deleted", "deleting")
            ),
        )

    def find_nat_gateway(self) -> list[Resource]:
        ec2 = self.client("ec2")
        return self.in_vpcs(
            "nat_gateway",
            lambda filters: (
                (gateway["NatGatewayId"], {})
                for gateway in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]
                if gateway["State"] not in ("deleted", "deleting")
            ),
        )

    def find_network_interface(self) -> list[Resource]:
        ec2 = self.client("ec2")
        return self.in_vpcs(
            "network_interface",
            lambda filters: (
                (interface["NetworkInterfaceId"], {"status": interface["Status"]})
                for interface in ec2.describe_network_interfaces(Filters=filters)["NetworkInterfaces"]
            ),
        )

    def find_elastic_ip(self) -> list[Resource]:
        ec2 = self.client("ec2")
        named = [{"Name": "tag:Name", "Values": [f"{self.names['vpc']}-nat", self.names["ec2_instance"]]}]
        addresses = (
            ec2.describe_addresses(Filters=named)["Addresses"]
            + ec2.describe_addresses(Filters=self.tag_filters)["Addresses"]
        )
        by_id = {address["AllocationId"]: address for address in addresses if self.is_ours(address.get("Tags"))}
        return [
            Resource("elastic_ip", allocation, "name or tag", details={"association": address.get("AssociationId", "")})
            for allocation, address in sorted(by_id.items())
        ]

    def find_internet_gateway(self) -> list[Resource]:
        ec2, vpc_ids = self.client("ec2"), self.vpc_ids()
        if not vpc_ids:
            return []
        gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])
        return [
            Resource(
                "internet_gateway",
                gateway["InternetGatewayId"],
                "attached to the VPC",
                details={"vpcs": [a["VpcId"] for a in gateway["Attachments"]]},
            )
            for gateway in gateways["InternetGateways"]
        ]

    def find_subnet(self) -> list[Resource]:
        ec2 = self.client("ec2")
        return self.in_vpcs(
            "subnet",
            lambda filters: ((subnet["SubnetId"], {}) for subnet in ec2.describe_subnets(Filters=filters)["Subnets"]),
        )

    def find_route_table(self) -> list[Resource]:
        ec2 = self.client("ec2")
        return self.in_vpcs(
            "route_table",
            lambda filters: (
                (
                    table["RouteTableId"],
                    {
                        "associations": [
                            a["RouteTableAssociationId"] for a in table["Associations"] if not a.get("Main")
                        ]
                    },
                )
                for table in ec2.describe_route_tables(Filters=filters)["RouteTables"]
                if not any(association.get("Main") for association in table["Associations"])
            ),
        )

    def find_security_group(self) -> list[Resource]:
        """The VPC's groups but its default one, which goes with the VPC (noted as settled)."""
        ec2, vpc_ids = self.client("ec2"), self.vpc_ids()
        if not vpc_ids:
            return []
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["SecurityGroups"]
        self.settled |= {group["GroupId"] for group in groups if group["GroupName"] == "default"}
        return [
            Resource("security_group", group["GroupId"], "in the VPC", details={"name": group["GroupName"]})
            for group in groups
            if group["GroupName"] != "default"
        ]

    def find_vpc(self) -> list[Resource]:
        return [Resource("vpc", vpc_id, "name or tag") for vpc_id in self.vpc_ids()]
