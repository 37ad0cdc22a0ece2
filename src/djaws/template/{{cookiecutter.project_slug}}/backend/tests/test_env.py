"""config/env.py in this process: each parser's accepted spellings, defaults and its one-line refusal.

test_settings.py shows the settings stop a fresh process with these lines; here each rule is pinned
down exactly (and quickly), including the .env reader's quoting and precedence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import env

NAME = "DJAWS_TEST_VARIABLE"


@pytest.fixture(autouse=True)
def environment() -> Iterator[None]:
    """The process environment as it was: load_dotenv sets variables the test cannot name in advance."""
    saved = dict(os.environ)
    os.environ.pop(NAME, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


def refusal(capsys: pytest.CaptureFixture[str], call: object) -> str:
    """The one line a refused value writes to stderr; the call must exit with status 2."""
    with pytest.raises(SystemExit) as stopped:
        call()  # type: ignore[operator]
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_stop_writes_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(capsys, lambda: env.stop("what is wrong")) == "configuration error: what is wrong\n"


@pytest.mark.parametrize(("raw", "expected"), [("value", "value"), ("  padded  ", "padded"), ("", "fallback")])
def test_text_strips_and_treats_empty_as_unset(raw: str, expected: str) -> None:
    os.environ[NAME] = raw
    assert env.text(NAME, "fallback") == expected


def test_text_defaults_when_unset() -> None:
    assert env.text(NAME, "fallback") == "fallback"
    assert env.text(NAME) == ""
    os.environ[NAME] = "   "
    assert env.text(NAME) == ""


def test_required_returns_the_value_or_stops(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ[NAME] = " set "
    assert env.required(NAME, "prod") == "set"
    os.environ[NAME] = ""
    assert refusal(capsys, lambda: env.required(NAME, "prod")) == (
        f"configuration error: missing required environment variable {NAME} (ENVIRONMENT=prod); see .env.example\n"
    )


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_boolean_true_words(raw: str) -> None:
    os.environ[NAME] = raw
    assert env.boolean(NAME, default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "NO", "off"])
def test_boolean_false_words(raw: str) -> None:
    os.environ[NAME] = raw
    assert env.boolean(NAME, default=True) is False


def test_boolean_default_and_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    assert env.boolean(NAME, default=True) is True
    assert env.boolean(NAME, default=False) is False
    os.environ[NAME] = "maybe"
    assert refusal(capsys, lambda: env.boolean(NAME, default=True)) == (
        f"configuration error: {NAME}='maybe' is not a boolean (use true or false)\n"
    )


def test_integer(capsys: pytest.CaptureFixture[str]) -> None:
    assert env.integer(NAME, 7) == 7
    os.environ[NAME] = " 42 "
    assert env.integer(NAME, 7) == 42
    os.environ[NAME] = "-3"
    assert env.integer(NAME, 7) == -3
    os.environ[NAME] = "4.5"
    assert refusal(capsys, lambda: env.integer(NAME, 7)) == f"configuration error: {NAME}='4.5' is not a whole number\n"


def test_listing_drops_blanks() -> None:
    assert env.listing(NAME, ["default"]) == ["default"]
    os.environ[NAME] = " a, b,,c , "
    assert env.listing(NAME, ["default"]) == ["a", "b", "c"]
    os.environ[NAME] = "single"
    assert env.listing(NAME, []) == ["single"]


@pytest.mark.parametrize("value", ["1/second", "20/minute", "300/hour", "5000/day"])
def test_rate_accepts_a_positive_count_per_period(value: str) -> None:
    os.environ[NAME] = value
    assert env.rate(NAME, "9/day") == value


def test_rate_defaults_when_unset() -> None:
    assert env.rate(NAME, "20/minute") == "20/minute"


@pytest.mark.parametrize("value", ["0/minute", "-1/minute", "x/minute", "20", "20/week", "20/Minute", "/minute"])
def test_rate_refuses_anything_else(capsys: pytest.CaptureFixture[str], value: str) -> None:
    os.environ[NAME] = value
    assert refusal(capsys, lambda: env.rate(NAME, "20/minute")) == (
        f"configuration error: {NAME}={value!r} is not a rate such as 20/minute (per second, minute, hour or day)\n"
    )


def test_load_dotenv_reads_quoting_comments_and_never_overrides(tmp_path: Path) -> None:
    dotenv = tmp_path / "settings.env"
    dotenv.write_text(
        "# a comment\n"
        "\n"
        "   \n"
        "PLAIN=value\n"
        "export EXPORTED=1\n"
        "SPACED = two words  \n"
        'DOUBLE="quoted # not a comment"\n'
        "SINGLE='single'\n"
        "MISMATCHED=\"half'\n"
        'LONE="\n'
        'EMPTY_QUOTES=""\n'
        "EQUALS=a=b\n"
        "ENDS_ALIKE=XsameX\n"
        "BLANK=\n"
        "ALREADY=from-file\n"
    )
    os.environ.update({"ENV_FILE": str(dotenv), "ALREADY": "from-environment"})
    env.load_dotenv()
    loaded = {name: os.environ.get(name) for name in ("PLAIN", "EXPORTED", "SPACED", "DOUBLE", "SINGLE")}
    assert loaded == {
        "PLAIN": "value",
        "EXPORTED": "1",
        "SPACED": "two words",
        "DOUBLE": "quoted # not a comment",
        "SINGLE": "single",
    }
    assert (os.environ["MISMATCHED"], os.environ["LONE"], os.environ["EMPTY_QUOTES"]) == ("\"half'", '"', "")
    assert (os.environ["EQUALS"], os.environ["BLANK"], os.environ["ENDS_ALIKE"]) == ("a=b", "", "XsameX")
    assert os.environ["ALREADY"] == "from-environment"


def test_load_dotenv_reads_the_project_root_file_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "PROJECT_ROOT", tmp_path)
    os.environ.pop("ENV_FILE", None)
    (tmp_path / ".env").write_text(f"{NAME}=from-root\n")
    env.load_dotenv()
    assert os.environ[NAME] == "from-root"


def test_load_dotenv_without_a_file_changes_nothing(tmp_path: Path) -> None:
    os.environ["ENV_FILE"] = str(tmp_path / "absent.env")
    before = dict(os.environ)
    env.load_dotenv()
    assert dict(os.environ) == before


@pytest.mark.parametrize("line", ["NOT A PAIR", "1ST=x", "=value", "BAD NAME=x"])
def test_load_dotenv_stops_at_a_malformed_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    dotenv = tmp_path / "broken.env"
    dotenv.write_text(f"# first line\n{line}\nGOOD=1\n")
    os.environ["ENV_FILE"] = str(dotenv)
    assert refusal(capsys, env.load_dotenv) == f"configuration error: {dotenv}:2 is not a KEY=VALUE line\n"
