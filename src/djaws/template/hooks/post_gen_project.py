"""Remove what the chosen options leave out and pick the dependency lock for them.

Cookiecutter renders this file with the answers, then runs it inside the generated project.
"""

import shutil
from pathlib import Path

USE_CELERY = "{{ cookiecutter.use_celery }}" == "y"
USE_WEBSOCKET = "{{ cookiecutter.use_websocket }}" == "y"
HAS_FRONTEND = "{{ cookiecutter.frontend }}" != "none"
DEPLOYMENT = "{{ cookiecutter.aws_deployment }}"

# Paths that exist only when an option is on (or a target is chosen).
ONLY_WITH_CELERY = [
    "backend/config/celery.py",
    "backend/config/worker.py",
    "backend/config/beat.py",
    "backend/apps/files/tasks.py",
    "backend/tests/test_tasks.py",
]
# Processing in the request that completes an upload: what projects without Celery do.
ONLY_WITHOUT_CELERY = ["backend/tests/test_inline_processing.py"]
ONLY_WITH_WEBSOCKET = [
    "backend/config/routing.py",
    "backend/config/websocket.py",
    "backend/apps/notifications",
    "backend/tests/test_websocket.py",
    "backend/tests/test_websocket_server.py",
]
ONLY_WITH_FRONTEND = ["frontend"]
ONLY_FOR_TARGET = {
    "ecs-fargate": ["infra/terraform/ecs-fargate"],
    "ec2-all-in-one": ["infra/terraform/ec2-all-in-one", "docker-compose.prod.yml", "deploy"],
}


def remove(relative_path: str) -> None:
    """Delete a file or directory of the generated project if it is there."""
    path = Path(relative_path)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def select_lock() -> None:
    """Keep the uv lock made for this combination of options as backend/uv.lock."""
    locks = Path("backend/locks")
    variant = f"celery-{'on' if USE_CELERY else 'off'}_websocket-{'on' if USE_WEBSOCKET else 'off'}"
    (locks / f"{variant}.lock").replace("backend/uv.lock")
    shutil.rmtree(locks)


def main() -> None:
    for path in ONLY_WITH_CELERY if not USE_CELERY else ONLY_WITHOUT_CELERY:
        remove(path)
    if not USE_WEBSOCKET:
        for path in ONLY_WITH_WEBSOCKET:
            remove(path)
    if not HAS_FRONTEND:
        for path in ONLY_WITH_FRONTEND:
            remove(path)
    for target, paths in ONLY_FOR_TARGET.items():
        if target != DEPLOYMENT:
            for path in paths:
                remove(path)
    select_lock()


if __name__ == "__main__":
    main()
