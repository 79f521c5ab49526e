"""Templates and their repositories cannot make git run anything; git's own failures
(a lock, a refused merge) are errors with a recovery line, never a reported success; one
command at a time per repository; no git identity needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, release, snapshot

from mlscaffold import git as mgit
from mlscaffold import locks
from mlscaffold.cli import app
from mlscaffold.errors import MlscaffoldError
from mlscaffold.project import create_project

pytestmark = pytest.mark.reliability("hostile templates")


def tripwire(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """An executable that leaves a file behind when something runs it."""
    marker = tmp_path / f"ran-{name}"
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    script.chmod(0o755)
    return script, marker


def plain_template(root: Path, files: dict[str, str], copier_yml: str) -> Path:
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(copier_yml)
    for relative, text in files.items():
        target = root / "template" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


# A template that takes `.git` off copier's default exclusions.
NO_GIT_EXCLUDE = "_subdirectory: template\n_exclude: ['copier.yml']\nname:\n  default: x\n"


@pytest.mark.parametrize(
    "git_path",
    [".git/config", ".git", ".GIT/config", "sub/.git/config", ".git./config"],
)
def test_a_template_cannot_render_gits_files(runner, tmp_path, git_path):
    script, marker = tripwire(tmp_path, "fsmonitor")
    config = f"[core]\n\tfsmonitor = {script}\n\thooksPath = hooks\n"
    content = config if git_path.endswith("config") else f"gitdir: {tmp_path / 'elsewhere'}\n"
    files = {"README.md": "hi\n", git_path: content, ".git/HEAD": "ref: refs/heads/main\n"}
    if git_path == ".git":
        del files[".git/HEAD"]
    template = plain_template(tmp_path / "tpl", files, NO_GIT_EXCLUDE)
    area = tmp_path / "area"
    area.mkdir()
    result = runner.invoke(app, ["new", str(area / "p"), "--defaults", "--template", str(template)])
    assert result.exit_code == 1, result.output
    assert "git" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(area.iterdir()) == []
    assert not marker.exists()


def test_reading_a_template_repository_runs_none_of_its_programs(runner, tmp_path):
    """fsmonitor, a smudge filter and an index hook of the template's own repository."""
    fsmonitor, ran_fsmonitor = tripwire(tmp_path, "fsmonitor")
    smudge, ran_smudge = tripwire(tmp_path, "smudge")
    hook, ran_hook = tripwire(tmp_path, "hook")
    template = plain_template(
        tmp_path / "tpl",
        {"README.md.jinja": "# {{ name }}\n", "data.txt": "as committed\n",
         ".gitattributes": "* filter=evil\n"},
        "_subdirectory: template\nname:\n  default: x\n",
    )  # fmt: skip
    git(template, "init", "--quiet", "--initial-branch=main")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "v1")
    git(template, "tag", "v1.0.0")
    git(template, "config", "core.fsmonitor", str(fsmonitor))
    git(template, "config", "filter.evil.smudge", str(smudge))
    git(template, "config", "filter.evil.required", "true")
    (template / ".git" / "hooks" / "post-index-change").symlink_to(hook)
    area = tmp_path / "area"
    area.mkdir()
    result = runner.invoke(app, ["new", str(area / "p"), "--defaults", "--template", str(template)])
    assert result.exit_code == 0, result.output
    assert (area / "p" / "data.txt").read_text() == "as committed\n"
    assert not ran_fsmonitor.exists() and not ran_smudge.exists() and not ran_hook.exists()


def test_a_crafted_template_tree_cannot_write_outside(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b"x\n", capture_output=True,
        check=True,
    ).stdout.decode().strip()  # fmt: skip
    inner = subprocess.run(
        ["git", "mktree"], cwd=repo, input=f"100644 blob {blob}\tconfig\n".encode(),
        capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo, input=f"040000 tree {inner}\t.git\n".encode(),
        capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip
    commit = git(repo, "commit-tree", tree, "-m", "crafted")
    with pytest.raises(MlscaffoldError, match="no checkout may write"):
        mgit.export(repo, commit, tmp_path / "out")


# Git's failures are never reported as success.


@pytest.fixture
def two_versions(tmp_path) -> Path:
    root = plain_template(
        tmp_path / "tpl",
        {"README.md.jinja": "# {{ name }}\nv1\n", "keep.txt": "keep\n"},
        "_subdirectory: template\nname:\n  default: x\n",
    )
    release(root, "v1.0.0")
    (root / "template" / "README.md.jinja").write_text("# {{ name }}\nv2\n")
    (root / "template" / "new.txt").write_text("new in v2\n")
    release(root, "v2.0.0")
    return root


@pytest.fixture
def project(tmp_path, two_versions) -> Path:
    path = create_project(tmp_path / "proj", template=str(two_versions), vcs_ref="v1.0.0",
                          defaults=True, interactive=False).path  # fmt: skip
    (path / "keep.txt").write_text("keep, mine\n")
    git(path, "commit", "--quiet", "-am", "mine")
    return path


@pytest.mark.reliability("state and history")
def test_a_stale_index_lock_is_refused_with_its_recovery(runner, project):
    lock = project / ".git" / "index.lock"
    lock.touch()
    before = snapshot(project)
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == 1
    assert "index.lock" in result.stderr and "delete" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(project) == before
    lock.unlink()
    assert runner.invoke(app, ["update", str(project), "--defaults"]).exit_code == 0
    assert (project / "new.txt").exists()


@pytest.mark.reliability("state and history")
def test_a_lock_taken_during_the_merge_is_an_error_and_abort_recovers(runner, project, monkeypatch):
    """Another git (an editor's) takes the index lock just as the merge starts."""
    before = snapshot(project)
    lock = project / ".git" / "index.lock"
    real = mgit._process

    def editor_locks_first(cwd, args, *rest, **kwargs):
        if "merge" in args and "--abort" not in args:
            lock.touch()
        return real(cwd, args, *rest, **kwargs)

    monkeypatch.setattr(mgit, "_process", editor_locks_first)
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert "Merged" not in result.output and "index.lock" in result.stderr
    assert "update --abort" in result.stderr
    lock.unlink()  # the editor is done
    # The next command names the unfinished update and how to undo it.
    again = runner.invoke(app, ["update", str(project), "--defaults"])
    assert again.exit_code == 1 and "update --abort" in again.stderr
    undone = runner.invoke(app, ["update", str(project), "--abort"])
    assert undone.exit_code == 0, undone.output
    assert snapshot(project) == before
    assert runner.invoke(app, ["update", str(project), "--defaults"]).exit_code == 0


def test_abort_without_an_interrupted_update_says_so(runner, project):
    result = runner.invoke(app, ["update", str(project), "--abort"])
    assert result.exit_code == 1 and "git merge --abort" in result.stderr


# One command at a time.


@pytest.mark.reliability("state and history")
def test_a_second_update_while_one_runs_is_refused(runner, project):
    before = snapshot(project)
    with locks.repository(project):
        result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == 1
    assert "another mlscaffold command" in result.stderr
    assert snapshot(project) == before


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", *args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.reliability("state and history")
def test_two_new_into_one_monorepo_at_once(tmp_path, two_versions):
    """Each either stages its project or says in one line why not; never a success with
    nothing staged."""
    for round_ in range(4):
        mono = tmp_path / f"mono-{round_}"
        mono.mkdir()
        (mono / "app.py").write_text("print('app')\n")
        git(mono, "init", "--quiet", "--initial-branch=main")
        git(mono, "add", "--all")
        git(mono, "commit", "--quiet", "-m", "app")
        names = ("ml-a", "ml-b")
        runs = [cli("new", name, "--defaults", "--monorepo", "--template", str(two_versions),
                    cwd=mono) for name in names]  # fmt: skip
        outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
        staged = git(mono, "diff", "--cached", "--name-only").splitlines()
        for name, (code, stderr) in zip(names, outcomes, strict=True):
            assert "Traceback" not in stderr
            if code == 0:
                assert f"{name}/README.md" in staged, (round_, name, stderr)
            else:
                assert code == 1 and len(stderr.strip().splitlines()) == 1, stderr
                assert not (mono / name).exists()
        assert any(code == 0 for code, _ in outcomes)


@pytest.mark.reliability("state and history")
def test_two_new_into_one_folder_at_once(tmp_path, two_versions):
    for round_ in range(3):
        area = tmp_path / f"area-{round_}"
        area.mkdir()
        runs = [cli("new", "p", "--defaults", "--template", str(two_versions), cwd=area)
                for _ in range(2)]  # fmt: skip
        outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
        assert sorted(code for code, _ in outcomes)[0] == 0
        for code, stderr in outcomes:
            assert "Traceback" not in stderr
            assert code in (0, 1)
            if code == 1:
                assert len(stderr.strip().splitlines()) == 1, stderr
        assert sorted(p.name for p in area.iterdir()) == ["p"]
        assert git(area / "p", "status", "--porcelain") == ""


# No git identity: a fresh container, a CI runner.


def no_identity_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "empty-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("EMAIL", "HOME")}  # fmt: skip
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / "none"))
    return env


@pytest.mark.reliability("state and history")
def test_new_and_update_work_without_a_git_identity(tmp_path, two_versions):
    env = no_identity_env(tmp_path)
    # Plumbing for the test's own commits, with an identity given on the command line.
    me = ["-c", "user.name=Someone", "-c", "user.email=someone@example.com"]
    mono = tmp_path / "mono"
    mono.mkdir()
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "0"]):
        subprocess.run(["git", *me, *args], cwd=mono, env=env, check=True)
    for name, extra in (("solo", []), ("inside", ["--monorepo"])):
        run = cli("new", name, "--defaults", "--template", str(two_versions), "--vcs-ref",
                  "v1.0.0", *extra, cwd=mono, env=env)  # fmt: skip
        assert run.wait(timeout=120) == 0, run.stderr.read()
    subprocess.run(["git", *me, "commit", "-q", "-m", "add inside"], cwd=mono, env=env, check=True)
    for project in (mono / "solo", mono / "inside"):
        run = cli("update", "--defaults", cwd=project, env=env)
        assert run.wait(timeout=120) == 0, run.stderr.read()
        assert (project / "new.txt").read_text() == "new in v2\n"
