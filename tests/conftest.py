"""Shared fixtures: an isolated git identity, a CLI runner, and file-tree snapshots."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO / "templates" / "project"


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never read the machine's git config, and commits they make have an author."""
    config = tmp_path_factory.mktemp("gitconfig") / "gitconfig"
    config.write_text("[user]\n\tname = Test Author\n\temail = test@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    # Entry-point plugins stay off unless a test is about them; built-ins always load.
    monkeypatch.setenv("MLSCAFFOLD_LOAD_PLUGINS", "")
    # copier reads user settings from here; keep the user's own out of the tests.
    settings = config.parent / "copier-settings.yml"
    settings.write_text("{}\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    return config


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every path under ``root`` with a hash of its content and its mode.

    Inside a ``.git`` folder only what a user can see counts: HEAD, refs, the index's
    entries, an ongoing merge. Unreferenced objects that git itself garbage-collects
    (written by a merge attempt or a dry run) and reflogs do not.
    """
    result = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if ".git" in path.relative_to(root).parts:
            if path.name == ".git":
                result[relative] = ("git:" + _git_state(path.parent), 0)
            continue
        if path.is_symlink():
            result[relative] = ("symlink:" + os.readlink(path), 0)
        elif path.is_file():
            result[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
        else:
            result[relative] = ("dir", path.stat().st_mode)
    return result


def _git_state(work_tree: Path) -> str:
    def out(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=work_tree, capture_output=True, text=True)
        return done.stdout

    state = [
        out("symbolic-ref", "-q", "HEAD"), out("rev-parse", "-q", "--verify", "HEAD"),
        out("for-each-ref"), out("ls-files", "--stage"),
        out("rev-parse", "-q", "--verify", "MERGE_HEAD"), out("stash", "list"),
    ]  # fmt: skip
    return hashlib.sha256("\0".join(state).encode()).hexdigest()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def clone_checkout(destination: Path, source: Path = REPO) -> Path:
    """A clone of this repository as a user gets it: the tracked files, as they are in the
    working tree, committed into a repository of their own.

    Only tracked files: a checkout where the README's commands have run also holds
    ``.venv/``, ``churn-model/`` and build output, which a fresh clone does not.
    """
    destination.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached"], cwd=source, capture_output=True, check=True
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        origin = source / relative
        if not origin.is_file():  # deleted in the working tree, or a submodule
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target, follow_symlinks=False)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "-c", "user.name=Maintainer", "-c", "user.email=maintainer@example.com",
        "commit", "--quiet", "-m", "clone")  # fmt: skip
    return destination


def field_env(home: Path) -> dict[str, str]:
    """The environment of a fresh machine: an empty HOME, no git identity, no test settings."""
    dropped = ("PYTEST", "VIRTUAL_ENV", "MLSCAFFOLD_", "GIT_", "COPIER_", "XDG_CONFIG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", MPLBACKEND="Agg")
    return env


def write_tree(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Write each file (text or bytes) under ``root``; ``None`` deletes it."""
    for relative, content in files.items():
        path = root / relative
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def release(root: Path, tag: str) -> None:
    """Commit everything in the template repository at ``root`` (made on first use) as
    the version ``tag``, as a template author releases one."""
    if not (root / ".git").exists():
        git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", f"release {tag}")
    git(root, "tag", tag)


@pytest.fixture
def make_template(tmp_path: Path) -> Callable[..., Path]:
    """Build a small copier template inline; ``tags`` makes it a git repo with those tags."""

    def make(
        name: str = "tpl",
        copier_yml: str = "_subdirectory: template\nproject_name:\n  type: str\n  default: x\n",
        files: dict[str, str] | None = None,
        tags: dict[str, dict[str, str]] | None = None,
    ) -> Path:
        root = tmp_path / "templates-src" / name
        root.mkdir(parents=True)
        (root / "copier.yml").write_text(textwrap.dedent(copier_yml))

        def write(contents: dict[str, str]) -> None:
            for relative, text in contents.items():
                target = root / "template" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)

        write(files or {"README.md.jinja": "# {{ project_name }}\n"})
        if tags is not None:
            git(root, "init", "--quiet", "--initial-branch=main")
            git(root, "add", "--all")
            git(root, "commit", "--quiet", "-m", "first")
            for tag, changes in tags.items():
                if changes:
                    write(changes)
                    git(root, "add", "--all")
                    git(root, "commit", "--quiet", "-m", f"release {tag}")
                git(root, "tag", tag)
        return root

    return make


@pytest.fixture
def register_plugin():
    """Register plugin objects for one test, as an installed plugin would be, then remove them."""
    from mlscaffold import plugins

    plugins.load()
    added = []

    def register(plugin: object, name: str) -> object:
        plugins.pm.register(plugin, name=name)
        added.append(plugin)
        return plugin

    yield register
    for plugin in added:
        plugins.pm.unregister(plugin)


# Slow tests: the product as a user installs it, and generated projects in a virtualenv.


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: int = 900):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


def make_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin"


@pytest.fixture(scope="session")
def installed_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mlscaffold` installed from a freshly built wheel, not from the source tree."""
    root = tmp_path_factory.mktemp("wheel")
    run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            root / "dist",
            REPO,
        ],
        cwd=root,
    )
    (wheel,) = (root / "dist").glob("ml_lifecycle_scaffold-*.whl")
    bin_dir = make_venv(root / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], cwd=root)
    return bin_dir / "mlscaffold"


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory, installed_cli: Path) -> Path:
    """The projects' virtualenv, holding the same mlscaffold wheel: a project's dev extra
    requires it, and it is not on the package index this suite may reach."""
    bin_dir = make_venv(tmp_path_factory.mktemp("project-venv") / "venv")
    (wheel,) = (installed_cli.parents[2] / "dist").glob("ml_lifecycle_scaffold-*.whl")
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], cwd=wheel.parent)
    return bin_dir


def project_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["MPLBACKEND"] = "Agg"
    return env


# The reliability report (docs/reliability.md) is written from a real test run:
#   MLSCAFFOLD_RELIABILITY_REPORT=docs/reliability.md pytest -m reliability
RELIABILITY = {
    "bad input": "one line on stderr, exit 1, no traceback, nothing written",
    "names and answers": "accepted and kept inside the project, or refused with nothing written",
    "faults": "new leaves nothing behind; update leaves the project byte-identical",
    "hostile templates": "refused with one line; nothing written; no task run",
    "misbehaving plugins": "one line naming the plugin and hook; nothing written",
    "state and history": "refused with one line saying how to fix it; nothing changed",
    "user edits on update": "every edit kept or in a conflict git knows about",
}
_reliability_results: dict[str, list[str]] = {}
_trials: dict[str, int] = {}


def record_trials(name: str, count: int) -> None:
    """Count ``count`` trials of ``name`` (a signal at a moment of a command) for the
    report; a test calls this once every trial has held its invariant."""
    _trials[name] = _trials.get(name, 0) + count


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability(category): counted in docs/reliability.md")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    category = getattr(report, "reliability", None)
    if category and (report.when == "call" or report.outcome != "passed"):
        _reliability_results.setdefault(category, []).append(report.outcome)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    marker = item.get_closest_marker("reliability")
    if marker:
        report = outcome.get_result()
        report.reliability = marker.args[0]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    target = os.environ.get("MLSCAFFOLD_RELIABILITY_REPORT")
    if not target or not _reliability_results:
        return
    lines = [
        "# Reliability",
        "",
        "Written by the test run, not by hand:",
        "`MLSCAFFOLD_RELIABILITY_REPORT=docs/reliability.md pytest -m reliability`.",
        "Each case is a test or one parameter of it; property-based tests (hypothesis) try many",
        "generated inputs within one case. Unreferenced git objects that `git gc` collects do not",
        "count as changes.",
        "",
        "| category | cases | passed | invariant checked |",
        "|---|---|---|---|",
    ]
    for category, invariant in RELIABILITY.items():
        outcomes = _reliability_results.get(category, [])
        passed = sum(outcome == "passed" for outcome in outcomes)
        lines.append(f"| {category} | {len(outcomes)} | {passed} | {invariant} |")
    if _trials:
        lines += [
            "",
            "## Interruptions",
            "",
            "Real signals sent to a running `mlscaffold new` or `update` at moments from before",
            "the render to after the merge (tests/test_signals.py), and Ctrl-C or a full disk",
            "injected at each file write and git call in turn (tests/test_faults.py). Each trial",
            "that passed lost no edit and left no half state: caught signals undo the command",
            "(exit 128 + the signal); after SIGKILL the next command names what was left in one",
            "line, and that line's advice puts the project back byte for byte.",
            "",
            "| signal and command | trials passed |",
            "|---|---|",
            *(f"| {name} | {count} |" for name, count in sorted(_trials.items())),
        ]
    Path(target).write_text("\n".join(lines) + "\n")
