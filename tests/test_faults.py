"""Faults at every write: `new` and `update` are interrupted (Ctrl-C) or hit a full disk at
the k-th file write or git call, for every k; the project is then absent (new) or exactly
as before (update). A real SIGINT and a real file-size limit on a subprocess too."""

from __future__ import annotations

import errno
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import git, record_trials, snapshot

from mlscaffold.project import create_project
from mlscaffold.update import update_project

WRITERS = [
    (pathlib.Path, "write_bytes"), (pathlib.Path, "write_text"), (shutil, "copy2"),
    (os, "replace"), (subprocess, "run"),
]  # fmt: skip

pytestmark = pytest.mark.reliability("faults")


class Faults:
    """Raise ``error`` at the k-th call of any writer; count calls otherwise."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: int, error: BaseException) -> None:
        self.calls = 0
        for owner, name in WRITERS:
            original = getattr(owner, name)
            monkeypatch.setattr(owner, name, self._wrap(original, at, error))

    def _wrap(self, original, at, error):
        def faulty(*args, **kwargs):
            self.calls += 1
            if self.calls == at:
                raise error
            return original(*args, **kwargs)

        return faulty


ERRORS = {
    "ctrl-c": KeyboardInterrupt(),
    "disk full": OSError(errno.ENOSPC, "No space left on device"),
}


def small_template(root: pathlib.Path, version: str) -> None:
    (root / "template" / "docs").mkdir(parents=True, exist_ok=True)
    # The folder name as the default, the way real templates write it.
    (root / "copier.yml").write_text(
        '_subdirectory: template\nproject_name:\n  type: str\n  default: "{{ _folder_name }}"\n'
    )
    (root / "checklists.toml").write_text(
        'schema_version = 1\n[[item]]\nid = "core.data.a"\nstage = "data"\ntitle = "A"\n'
    )
    (root / "template" / "README.md.jinja").write_text(f"# {{{{ project_name }}}} {version}\n")
    (root / "template" / "docs" / f"notes-{version}.md").write_text("notes\n")
    (root / "template" / "keep.txt").write_text("keep\n")


@pytest.fixture
def template(tmp_path):
    root = tmp_path / "tpl"
    small_template(root, "v1")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v1")
    git(root, "tag", "v1.0.0")
    (root / "template" / "docs" / "notes-v1.md").unlink()
    small_template(root, "v2")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v2")
    git(root, "tag", "v2.0.0")
    return root


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_new_interrupted_at_every_write_leaves_nothing(tmp_path, template, monkeypatch, kind):
    area = tmp_path / "area"
    area.mkdir()
    before = snapshot(area)
    for at in range(1, 500):
        with monkeypatch.context() as patch:
            faults = Faults(patch, at, ERRORS[kind])
            try:
                create_project(area / "proj", template=str(template), vcs_ref="v1.0.0",
                               defaults=True, interactive=False)  # fmt: skip
            except (KeyboardInterrupt, OSError, Exception):
                assert snapshot(area) == before, f"fault at write {at} left something behind"
                continue
        assert faults.calls < at, "finished although a fault was injected"
        assert faults.calls > 10  # the faults really hit every file write and git call
        assert (area / "proj" / "README.md").exists()
        record_trials(f"{kind} at each write and git call of new (in-process)", at - 1)
        return
    pytest.fail("new never finished")


@pytest.mark.parametrize("mine_at_new_path", [False, True], ids=["edits", "file-at-new-path"])
@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_update_interrupted_at_every_write_changes_nothing(
    tmp_path, template, monkeypatch, kind, mine_at_new_path
):
    project = create_project(tmp_path / "proj", template=str(template), vcs_ref="v1.0.0",
                             defaults=True, interactive=False).path  # fmt: skip
    (project / "keep.txt").write_text("keep, mine\n")
    if mine_at_new_path:  # the user committed a file where the new version adds one
        (project / "docs" / "notes-v2.md").write_text("my own notes\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "edit")
    before = snapshot(project)
    for at in range(1, 500):
        with monkeypatch.context() as patch:
            faults = Faults(patch, at, ERRORS[kind])
            try:
                update_project(project, defaults=True, interactive=False)
            except (KeyboardInterrupt, OSError, Exception):
                assert snapshot(project) == before, f"fault at write {at} changed the project"
                continue
        assert faults.calls < at
        assert (project / "docs" / "notes-v2.md").exists()
        assert (project / "keep.txt").read_text() == "keep, mine\n"
        assert not (project / ".git" / "mlscaffold-update.json").exists()
        record_trials(f"{kind} at each write and git call of update (in-process)", at - 1)
        return
    pytest.fail("update never finished")


def test_real_sigint_during_new_leaves_nothing(tmp_path, template):
    """A real Ctrl-C at several moments of a running `mlscaffold new`."""
    for delay in (0.05, 0.2, 0.4, 0.6, 0.9):
        area = tmp_path / f"area-{delay}"
        area.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-m", "mlscaffold", "new", str(area / "proj"), "--defaults",
             "--template", str(template)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        entries = sorted(p.name for p in area.iterdir())
        # Either the interrupt came in time and nothing is there, or the project is complete.
        assert entries in ([], ["proj"]), entries
        if entries:
            assert (area / "proj" / ".mlscaffold.toml").is_file()
            assert git(area / "proj", "status", "--porcelain") == ""


def test_full_disk_in_a_subprocess_leaves_nothing(tmp_path, template):
    """A real write failure: the subprocess may not write files over 64 KiB."""
    area = tmp_path / "area"
    area.mkdir()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed

    plain = tmp_path / "plain-template"  # not a git repository: git never runs
    shutil.copytree(template, plain, ignore=shutil.ignore_patterns(".git"))
    (plain / "template" / "big.txt").write_text("x" * 200_000)
    result = subprocess.run(
        [sys.executable, "-m", "mlscaffold", "new", str(area / "proj"), "--defaults",
         "--template", str(plain), "--no-git"],
        capture_output=True, text=True, preexec_fn=limit, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    assert list(area.iterdir()) == []


def test_real_sigint_during_update_restores_or_completes(tmp_path, template):
    """A real Ctrl-C at several moments of a running `mlscaffold update`."""
    project = create_project(tmp_path / "proj", template=str(template), vcs_ref="v1.0.0",
                             defaults=True, interactive=False).path  # fmt: skip
    (project / "keep.txt").write_text("keep, mine\n")
    git(project, "commit", "--quiet", "-am", "edit")
    before = snapshot(project)
    for delay in (0.05, 0.2, 0.4, 0.7, 1.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "mlscaffold", "update", str(project), "--defaults"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        merged = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=project, capture_output=True
        )
        if merged.returncode == 0:  # the update finished before the interrupt
            assert (project / "docs" / "notes-v2.md").exists()
            git(project, "merge", "--abort")
        assert snapshot(project) == before, f"interrupted after {delay} s"
