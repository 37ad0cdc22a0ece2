"""The djaws command line: options, interactive answers, and bad input that leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.projects import snapshot

from djaws import __version__
from djaws.options import OPTIONS


def djaws(*arguments: str, cwd: Path | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "djaws", *arguments],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_usage_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("djaws: error:")
    assert fragment in lines[0]


def test_version() -> None:
    result = djaws("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"djaws {__version__}"


def test_new_help_explains_every_option() -> None:
    result = djaws("new", "--help")
    assert result.returncode == 0
    for flag in ("--output-dir", "--no-input", "--set", "--force", "PROJECT_NAME"):
        assert flag in result.stdout
    for option in OPTIONS:
        assert option.key in result.stdout
        for choice in option.choices:
            assert choice in result.stdout


def test_update_help_names_its_flags() -> None:
    result = djaws("update", "--help")
    assert result.returncode == 0
    for flag in ("--to", "--from", "--set", "--dry-run", "--source", "git+URL"):
        assert flag in result.stdout


def test_new_with_no_input_generates_and_prints_next_steps(tmp_path: Path) -> None:
    result = djaws("new", "Acme Shop", "--no-input", "-o", str(tmp_path), "--set", "use_celery=n")
    assert result.returncode == 0, result.stderr
    project = tmp_path / "acme_shop"
    assert (project / "backend" / "manage.py").is_file()
    assert not (project / "backend" / "config" / "celery.py").exists()
    answers = json.loads((project / ".djaws-answers.json").read_text())
    assert answers["project_name"] == "Acme Shop"
    assert answers["use_celery"] == "n"
    assert f"cd {project}" in result.stdout
    assert "make install" in result.stdout
    assert "make run" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["acme_shop"]


def test_interactive_answers_are_read_from_stdin(tmp_path: Path) -> None:
    # project_name, description, author, email, region, deployment, frontend, celery (bad, then good), ...
    answers = "Prompted Shop\nA shop\nAda\nada@example.com\nus-west-2\nec2-all-in-one\nnone\nmaybe\nn\n"
    result = djaws("new", "-o", str(tmp_path), stdin=answers)
    assert result.returncode == 0, result.stderr
    assert "use_celery must be one of y, n" in result.stderr
    recorded = json.loads((tmp_path / "prompted_shop" / ".djaws-answers.json").read_text())
    assert recorded["aws_region"] == "us-west-2"
    assert recorded["aws_deployment"] == "ec2-all-in-one"
    assert recorded["frontend"] == "none"
    assert recorded["use_celery"] == "n"
    assert recorded["use_websocket"] == "y"


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["new", "", "--no-input"], "project name is empty"),
        (["new", "日本語", "--no-input"], "no Latin letters"),
        (["new", "Shop", "--no-input", "--set", "colour=blue"], "unknown option 'colour'"),
        (["new", "Shop", "--no-input", "--set", "frontend=vue"], "frontend must be one of nextjs, none"),
        (["new", "Shop", "--no-input", "--set", "aws_region=mars-1"], "not an AWS region"),
        (["new", "Shop", "--no-input", "--set", "author_email=nobody"], "not an e-mail address"),
        (["new", "Shop", "--no-input", "--set", "use_celery"], "expects KEY=VALUE"),
        (["new", "Shop", "--no-input", "--set", "github_owner=-acme"], "not a GitHub user or organisation name"),
        (["new", "Shop", "--no-input", "--set", "github_owner=acme corp"], "not a GitHub user or organisation name"),
        (["new", "Shop", "--no-input", "--set", "domain_name=https://shop.example.com"], "not a lowercase domain"),
        (["new", "Shop", "--no-input", "--set", "domain_name=Shop.Example.com"], "not a lowercase domain"),
        (["new", "Shop", "--no-input", "--set", "domain_name=.com"], "not a lowercase domain"),
        (["new", "Shop", "--no-input", "--set", 'description=say "hi"'], "without quotes"),
        (["new", "Shop", "--bogus-flag"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(tmp_path: Path, arguments: list[str], fragment: str) -> None:
    result = djaws(*arguments, "-o", str(tmp_path / "out"))
    assert_usage_error(result, fragment)
    assert not (tmp_path / "out").exists()


def test_existing_non_empty_directory_is_refused_without_force(tmp_path: Path) -> None:
    project = tmp_path / "acme_shop"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    result = djaws("new", "Acme Shop", "--no-input", "-o", str(tmp_path))
    assert_usage_error(result, "exists and is not empty")
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["acme_shop"]


def test_force_writes_template_files_and_keeps_user_files(tmp_path: Path) -> None:
    project = tmp_path / "acme_shop"
    (project / "backend").mkdir(parents=True)
    (project / "notes.txt").write_text("mine")
    (project / "backend" / "local_tool.py").write_text("print('mine')\n")
    (project / "README.md").write_text("old readme")
    result = djaws("new", "Acme Shop", "--no-input", "-o", str(tmp_path), "--force")
    assert result.returncode == 0, result.stderr
    assert (project / "notes.txt").read_text() == "mine"
    assert (project / "backend" / "local_tool.py").read_text() == "print('mine')\n"
    assert "Acme Shop" in (project / "README.md").read_text()
    assert (project / "backend" / "manage.py").is_file()
    assert sorted(os.listdir(tmp_path)) == ["acme_shop"]


@pytest.mark.parametrize(
    ("blocker", "fragment"),
    [("README.md", "is a directory; the template has a file there"), ("backend", "exists and is not a directory")],
)
def test_force_refuses_a_type_conflict_before_writing_anything(tmp_path: Path, blocker: str, fragment: str) -> None:
    project = tmp_path / "acme_shop"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    if blocker == "README.md":
        (project / blocker).mkdir()
        (project / blocker / "mine.txt").write_text("mine")
    else:
        (project / blocker).write_text("mine")
    before = snapshot(tmp_path)
    result = djaws("new", "Acme Shop", "--no-input", "-o", str(tmp_path), "--force")
    assert_usage_error(result, fragment)
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(project)) == sorted(["notes.txt", blocker])


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_project_path_that_is_a_file_is_refused(tmp_path: Path, force: list[str]) -> None:
    (tmp_path / "acme_shop").write_text("mine")
    result = djaws("new", "Acme Shop", "--no-input", "-o", str(tmp_path), *force)
    assert_usage_error(result, "exists and is not a directory")
    assert (tmp_path / "acme_shop").read_text() == "mine"
    assert os.listdir(tmp_path) == ["acme_shop"]


def test_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = djaws("new", "Shop", "--no-input", "-o", str(blocker / "sub"))
    assert_usage_error(result, "not a directory")
    assert blocker.read_text() == "x"


def test_unwritable_output_dir_is_refused() -> None:
    # /proc refuses new directories even for root, so this holds whoever runs the tests.
    result = djaws("new", "Shop", "--no-input", "-o", "/proc/djaws-test")
    assert_usage_error(result, "/proc/djaws-test")


def test_failed_render_leaves_no_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from djaws import generate as generate_module
    from djaws.options import defaults

    def broken_render(answers: dict[str, str], staging: Path) -> Path:
        (staging / "half").mkdir()
        (staging / "half" / "file").write_text("partial")
        raise generate_module.GenerationError("template rendering failed: simulated")

    monkeypatch.setattr(generate_module, "_render", broken_render)
    output = tmp_path / "new" / "nested"
    with pytest.raises(generate_module.GenerationError):
        generate_module.generate({**defaults(), "project_name": "Acme"}, output)
    assert list(tmp_path.iterdir()) == []


def test_a_template_syntax_error_is_one_line_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from djaws import generate as generate_module
    from djaws.options import defaults

    template = tmp_path / "template"
    shutil.copytree(generate_module.TEMPLATE_DIR, template)
    broken = template / "{{cookiecutter.project_slug}}" / "broken.sh"
    broken.write_text("#!/bin/sh\necho ok\necho ${#ARRAY[@]}\n")  # "{#" opens a Jinja comment never closed
    monkeypatch.setattr(generate_module, "TEMPLATE_DIR", template)
    monkeypatch.setattr(generate_module, "current_template_revision", lambda: "test")
    output = tmp_path / "out"
    with pytest.raises(generate_module.GenerationError) as raised:
        generate_module.generate({**defaults(), "project_name": "Acme"}, output)
    assert "broken.sh" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert not output.exists()
