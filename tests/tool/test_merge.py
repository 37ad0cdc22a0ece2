"""The three-way file merge behind ``djaws update``, on small trees: every combination of who changed what."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from djaws.merge import Change, Labels, Outcome, apply, plan

LABELS = Labels("yours", "djaws 1.0", "djaws 2.0")
Tree = dict[str, str | bytes | None]


def write_tree(root: Path, files: Tree, executable: Collection[str] = ()) -> Path:
    """Create a directory holding the given files (None: the file is absent)."""
    root.mkdir(parents=True)
    for path, content in files.items():
        if content is None:
            continue
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        target.chmod(0o755 if path in executable else 0o644)
    return root


def plan_one(
    tmp_path: Path, base: str | bytes | None, ours: str | bytes | None, theirs: str | bytes | None
) -> Change | None:
    """Plan a single file ``f.txt`` given its three versions."""
    trees = [
        write_tree(tmp_path / side, {"f.txt": content})
        for side, content in zip(("b", "o", "t"), (base, ours, theirs), strict=True)
    ]
    changes = plan(*trees, lambda path: False, LABELS)
    return changes[0] if changes else None


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "outcome"),
    [
        pytest.param("a\n", "team\n", "a\n", None, id="only-the-team-changed-it"),
        pytest.param("a\n", "b\n", "b\n", None, id="both-made-the-same-change"),
        pytest.param("a\n", "a\n", "b\n", Outcome.UPDATED, id="only-the-template-changed-it"),
        pytest.param(None, None, "new\n", Outcome.ADDED, id="template-added-it"),
        pytest.param("a\n", "a\n", None, Outcome.REMOVED, id="template-removed-it-unchanged"),
        pytest.param("a\n", "team\n", None, Outcome.KEPT, id="template-removed-it-team-changed-it"),
        pytest.param("a\n", None, "b\n", Outcome.CONFLICT, id="team-deleted-it-template-changed-it"),
        pytest.param("a\n", None, "a\n", None, id="team-deleted-it-template-unchanged"),
        pytest.param("1\n2\n3\n4\n5\n", "one\n2\n3\n4\n5\n", "1\n2\n3\n4\nfive\n", Outcome.MERGED, id="merge"),
        pytest.param("1\n2\n3\n", "1\nmine\n3\n", "1\ntheirs\n3\n", Outcome.CONFLICT, id="same-lines"),
        pytest.param(None, "mine\n", "theirs\n", Outcome.CONFLICT, id="both-added-different-files"),
        pytest.param(b"\x89PNG\0old", b"\x89PNG\0ours", b"\x89PNG\0theirs", Outcome.CONFLICT, id="binary"),
    ],
)
def test_outcome_follows_who_changed_the_file(
    tmp_path: Path,
    base: str | bytes | None,
    ours: str | bytes | None,
    theirs: str | bytes | None,
    outcome: Outcome | None,
) -> None:
    change = plan_one(tmp_path, base, ours, theirs)
    assert (change.outcome if change else None) == outcome


def test_merged_file_holds_both_changes_and_conflict_holds_markers(tmp_path: Path) -> None:
    merged = plan_one(tmp_path / "m", "1\n2\n3\n4\n5\n", "one\n2\n3\n4\n5\n", "1\n2\n3\n4\nfive\n")
    assert merged is not None and merged.result is not None
    assert merged.result.content == b"one\n2\n3\n4\nfive\n"
    conflict = plan_one(tmp_path / "c", "1\n2\n3\n", "1\nmine\n3\n", "1\ntheirs\n3\n")
    assert conflict is not None and conflict.result is not None
    assert conflict.result.content == b"1\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> djaws 2.0\n3\n"


def test_binary_conflict_keeps_the_project_file(tmp_path: Path) -> None:
    change = plan_one(tmp_path, b"\0old", b"\0ours", b"\0theirs")
    assert change is not None and not change.writes and "binary" in change.note


def test_executable_bit_is_merged_like_content(tmp_path: Path) -> None:
    files: Tree = {"run.sh": "echo 1\n", "tool.sh": "echo 1\n"}
    base = write_tree(tmp_path / "b", files)
    ours = write_tree(tmp_path / "o", {"run.sh": "echo 1\n", "tool.sh": "echo 1\necho mine\n"})
    theirs = write_tree(tmp_path / "t", files, executable={"run.sh", "tool.sh"})
    changes = {change.path: change for change in plan(base, ours, theirs, lambda path: False, LABELS)}
    assert changes["run.sh"].outcome is Outcome.UPDATED
    assert changes["tool.sh"].outcome is Outcome.MERGED
    assert all(change.result is not None and change.result.executable for change in changes.values())


def test_derived_files_take_the_new_render(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "b", {"names.json": "{}\n", "old.lock": "a\n"})
    ours = write_tree(tmp_path / "o", {"names.json": '{"mine": 1}\n', "old.lock": "edited\n"})
    theirs = write_tree(tmp_path / "t", {"names.json": '{"theirs": 1}\n'})
    changes = {change.path: change for change in plan(base, ours, theirs, lambda path: True, LABELS)}
    assert changes["names.json"].outcome is Outcome.RERENDERED
    assert changes["names.json"].result is not None and changes["names.json"].result.content == b'{"theirs": 1}\n'
    assert changes["old.lock"].outcome is Outcome.REMOVED


def test_a_directory_in_the_way_is_a_conflict_left_alone(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "b", {})
    ours = write_tree(tmp_path / "o", {"docs/notes.md/mine.txt": "mine\n", "scripts": "a file\n"})
    theirs = write_tree(tmp_path / "t", {"docs/notes.md": "new\n", "scripts/run.sh": "new\n"})
    changes = plan(base, ours, theirs, lambda path: False, LABELS)
    assert [(change.path, change.outcome, change.writes) for change in changes] == [
        ("docs/notes.md", Outcome.CONFLICT, False),
        ("scripts/run.sh", Outcome.CONFLICT, False),
    ]


def test_apply_writes_modes_and_removes_emptied_directories(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "b", {"old/only.txt": "x\n", "keep/a.txt": "a\n"})
    project = write_tree(tmp_path / "o", {"old/only.txt": "x\n", "keep/a.txt": "a\n", "keep/mine.txt": "m\n"})
    theirs = write_tree(tmp_path / "t", {"new/run.sh": "echo\n"}, executable={"new/run.sh"})
    apply(project, plan(base, project, theirs, lambda path: False, LABELS))
    assert not (project / "old").exists()
    assert sorted(path.name for path in (project / "keep").iterdir()) == ["mine.txt"]
    assert (project / "new" / "run.sh").stat().st_mode & 0o111 == 0o111
