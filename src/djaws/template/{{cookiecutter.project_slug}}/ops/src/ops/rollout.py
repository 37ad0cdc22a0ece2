"""ECS releases: deploy a tag or roll back to a release, and put every service back if it fails.

Order of a deploy: new revisions (nothing runs them yet), migrations as a one-off task of the new
web revision (a failure stops here: no service changed), then every service moved, steady state,
and the checks through the site's URL. A failure after services moved returns every service to
its previous revision and count. The ECS circuit breaker (ecs.tf) stays as the second line. Once
a release is verified, the management schedules (ECS without Celery) run its web revision.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ops.ecs import EcsServices, ServiceState, revision_label
from ops.environment import Environment, step
from ops.errors import OpsError
from ops.releases import Release
from ops.verify import verify

RECOVERABLE = (OpsError, BotoCoreError, ClientError)


def _readiness_token(environment: Environment) -> str:
    """The environment's readiness token from Secrets Manager; "" when it cannot be read (the check's own
    failure is what matters then, not this)."""
    arn = environment.outputs.get("readiness_token_secret_arn")
    if not arn:
        return ""
    try:
        return environment.aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    except (BotoCoreError, ClientError):
        return ""


def _first_deploy_counts(services: EcsServices, before: dict[str, ServiceState]) -> dict[str, int | None]:
    """Services still at zero tasks (never deployed) go to their configured count; the rest keep theirs."""
    return {
        process: services.configured_counts[process] if state.desired_count == 0 else None
        for process, state in before.items()
    }


def roll_out(
    environment: Environment,
    services: EcsServices,
    release: Release,
    before: dict[str, ServiceState],
    url: str,
    timeout: float,
) -> None:
    """Move every service to the release's revisions, wait, verify; on failure put them all back."""
    store = environment.releases
    try:
        step(f"moving {len(before)} services to their new revisions")
        services.move(release.revisions, _first_deploy_counts(services, before))
        step("waiting for steady state")
        services.wait_steady(release.revisions, timeout)
        step(f"verifying through {url}")
        verify(url, has_frontend=services.runs("frontend"), readiness_token=lambda: _readiness_token(environment))
    except RECOVERABLE as failure:
        step("reverting every service to its previous revision")
        previous = {process: state.task_definition for process, state in before.items()}
        try:
            services.move(previous, {process: state.desired_count for process, state in before.items()})
            services.wait_steady(previous, timeout)
        except RECOVERABLE as revert_failure:
            release.finish("failed", f"{failure}; reverting failed too: {revert_failure}")
            store.save(release)
            raise OpsError(f"{failure}; reverting failed too: {revert_failure}") from revert_failure
        release.finish("rolled-back", str(failure))
        store.save(release)
        raise OpsError(f"{failure}; every service is back on its previous revision") from failure
    release.finish("succeeded")
    store.save(release)
    for resource_id in services.resume_autoscaling():
        step(f"autoscaling resumed for {resource_id}")
    _point_schedules(services, release)


def _point_schedules(services: EcsServices, release: Release) -> None:
    """The periodic management commands run the release's web revision from now on."""
    revision = release.revisions.get("web")
    if not revision:
        return
    try:
        for name in services.point_schedules(revision):
            step(f"schedule {name} now runs {revision_label(revision)}")
    except (BotoCoreError, ClientError) as failure:
        raise OpsError(
            f"release {release.id} is live, but its periodic commands still run an earlier revision "
            f"(pointing their schedules at {revision_label(revision)} failed: {failure})"
        ) from failure


def deploy(environment: Environment, release: Release, url: str, timeout: float) -> None:
    """Deploy the images at ``release.sha``'s tag to every service."""
    services = EcsServices(environment)
    store = environment.releases
    before = services.states()
    release.previous_revisions = {process: state.task_definition for process, state in before.items()}
    store.save(release)
    step("registering task-definition revisions")
    release.revisions = services.register_revisions(release.image_tag)
    step("running migrations as a one-off task of the new web revision")
    command = list(environment.outputs["migration_task"]["command"])
    release.migration, _ = services.run_one_off(release.revisions["web"], command, timeout)
    for line in release.migration.output_tail:
        print(f"  | {line}")
    if release.migration.exit_code != 0:
        last = release.migration.output_tail[-1] if release.migration.output_tail else "no output"
        message = f"migrations failed (exit {release.migration.exit_code}): {last}; no service was changed"
        release.finish("failed", message)
        store.save(release)
        raise OpsError(message)
    roll_out(environment, services, release, before, url, timeout)


def rollback(environment: Environment, release: Release, restored: Release, url: str, timeout: float) -> None:
    """Put every service back on ``restored``'s revisions (re-registered if they were deregistered)."""
    services = EcsServices(environment)
    before = services.states()
    release.previous_revisions = {process: state.task_definition for process, state in before.items()}
    missing = sorted(set(before) - set(restored.revisions))
    if missing:
        raise OpsError(f"release {restored.id} has no revision for {', '.join(missing)}: roll back to a later one")
    release.revisions = {process: services.ensure_registered(restored.revisions[process]) for process in before}
    # The packed layout's web-only family runs no service, only one-off and scheduled tasks.
    if "web" not in release.revisions and "web" in restored.revisions:
        release.revisions["web"] = services.ensure_registered(restored.revisions["web"])
    environment.releases.save(release)
    roll_out(environment, services, release, before, url, timeout)
