"""`mlscaffold update`, `add`, `remove`: a 3-way merge whose base is the last snapshot.

Each scenario: a git template at v1 and v2 (made here), a project created at v1, user
edits committed, then an update to v2.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import git, snapshot, write_tree

from mlscaffold.cli import app
from mlscaffold.errors import EXIT_CONFLICTS
from mlscaffold.project import create_project
from mlscaffold.state import read_state
from mlscaffold.update import update_project

# The folder's name as the default, the way real templates write it.
COPIER_V1 = '_subdirectory: template\nproject_name:\n  type: str\n  default: "{{ _folder_name }}"\n'
COPIER_V2 = COPIER_V1 + "team:\n  type: str\n  default: ml-platform\n"
README_V1 = "# {{ project_name }}\n\nintro\n\nline a\nline b\nline c\n"
V1: dict[str, str | bytes | None] = {
    "README.md.jinja": README_V1,
    "keep.txt": "keep\n",
    "gone.txt": "the template drops me\n",
    "gone-edited.txt": "the template drops me, the user edits me\n",
    "user-deletes.txt": "the user deletes me\n",
    "user-renames.txt": "one\ntwo\nthree\n",
    "logo.bin": b"\x89PNG\x00\x01v1",
    "run.sh": "#!/bin/sh\necho v1\n",
    ".gitignore": "notes/\n",
}
V2: dict[str, str | bytes | None] = {
    "README.md.jinja": README_V1.replace("line c", "line c, better") + "team {{ team }}\n",
    "added.txt": "new in v2\n",
    "gone.txt": None,
    "gone-edited.txt": None,
    "user-renames.txt": "one\ntwo\nthree, better\n",
    "logo.bin": b"\x89PNG\x00\x01v2",
    "run.sh": "#!/bin/sh\necho v2\n",
}


@pytest.fixture
def template(tmp_path) -> Path:
    root = tmp_path / "template-repo"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(COPIER_V1)
    write_tree(root / "template", V1)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v1")
    git(root, "tag", "v1.0.0")
    (root / "copier.yml").write_text(COPIER_V2)
    write_tree(root / "template", V2)
    (root / "template" / "run.sh").chmod(0o755)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v2")
    git(root, "tag", "v2.0.0")
    return root


@pytest.fixture
def project(tmp_path, template) -> Path:
    return create_project(
        tmp_path / "proj", template=str(template), vcs_ref="v1.0.0", defaults=True,
        interactive=False,
    ).path  # fmt: skip


def commit_all(project: Path, message: str = "user edits") -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def update(project: Path, **options):
    return update_project(project, defaults=True, interactive=False, **options)


def test_clean_update_merges_and_stages_for_review(project):
    result = update(project)
    assert not result.conflicts
    assert (project / "README.md").read_text().endswith("line c, better\nteam ml-platform\n")
    assert (project / "added.txt").read_text() == "new in v2\n"
    assert not (project / "gone.txt").exists() and not (project / "gone-edited.txt").exists()
    assert (project / "logo.bin").read_bytes() == b"\x89PNG\x00\x01v2"
    assert os.access(project / "run.sh", os.X_OK)
    # Nothing is committed on top of the user's work: the merge is staged, with a way back.
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "rev-parse", "-q", "--verify", "MERGE_HEAD")
    state = read_state(project)
    assert state.template_version == "2.0.0" and state.answers["team"] == "ml-platform"
    assert ("A", "added.txt") in result.changes and ("D", "gone.txt") in result.changes
    git(project, "commit", "--quiet", "-m", "update")
    assert update(project).up_to_date


@pytest.mark.reliability("user edits on update")
def test_user_edits_survive_or_conflict_visibly(project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("intro", "our own intro"))
    (project / "gone-edited.txt").write_text("the user's precious edit\n")
    (project / "user-deletes.txt").unlink()
    git(project, "mv", "user-renames.txt", "renamed.txt")
    (project / "logo.bin").write_bytes(b"\x89PNG\x00\x01mine")
    commit_all(project)

    result = update(project)
    text = readme.read_text()
    assert "our own intro" in text and "line c, better" in text  # both sides merged
    assert not (project / "user-deletes.txt").exists()  # not recreated
    assert (project / "renamed.txt").read_text() == "one\ntwo\nthree, better\n"  # followed
    assert not (project / "user-renames.txt").exists()
    # The template dropped a file the user changed: kept, and reported as a conflict.
    assert (project / "gone-edited.txt").read_text() == "the user's precious edit\n"
    # Both changed a binary file: the user's version is not silently reverted.
    assert (project / "logo.bin").read_bytes() == b"\x89PNG\x00\x01mine"
    assert result.conflicts == ["gone-edited.txt", "logo.bin"]
    unmerged = git(project, "diff", "--name-only", "--diff-filter=U").splitlines()
    assert sorted(unmerged) == ["gone-edited.txt", "logo.bin"]


@pytest.mark.reliability("user edits on update")
def test_overlapping_edit_conflicts_and_merge_abort_restores(runner, project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("line c", "line c, mine"))
    commit_all(project)
    before = snapshot(project)
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == EXIT_CONFLICTS, result.output
    assert "README.md (conflict)" in result.stdout and "git merge --abort" in result.stdout
    assert "<<<<<<<" in readme.read_text() and "line c, mine" in readme.read_text()
    assert "UU README.md" in git(project, "status", "--porcelain")
    git(project, "merge", "--abort")
    assert snapshot(project) == before


@pytest.mark.reliability("user edits on update")
def test_dry_run_reports_and_changes_nothing(runner, project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("line c", "line c, mine"))
    commit_all(project)
    before = snapshot(project)
    result = runner.invoke(app, ["update", str(project), "--defaults", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would update template 1.0.0 → 2.0.0" in result.stdout
    assert "README.md (conflict)" in result.stdout and "added: added.txt" in result.stdout
    assert snapshot(project) == before


def test_update_to_a_chosen_version_and_changed_answer(project):
    result = update(project, vcs_ref="v2.0.0", data={"team": "search"})
    assert not result.conflicts
    assert read_state(project).answers["team"] == "search"
    assert "team search" in (project / "README.md").read_text()


def test_update_in_a_fresh_clone(tmp_path, project):
    (project / "keep.txt").write_text("keep, mine\n")
    commit_all(project)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(project), str(clone)], check=True)
    result = update(clone)
    assert not result.conflicts
    assert (clone / "keep.txt").read_text() == "keep, mine\n"
    assert (clone / "added.txt").exists()


@pytest.mark.reliability("user edits on update")
def test_ignored_user_file_at_a_new_template_path_is_never_overwritten(tmp_path, template):
    notes = {"notes/todo.txt": "from the template\n"}
    write_tree(template / "template", notes)
    (template / "template" / ".gitignore").write_text("")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "v3")
    git(template, "tag", "v3.0.0")
    project = create_project(
        tmp_path / "p", template=str(template), vcs_ref="v1.0.0", defaults=True, interactive=False
    ).path
    (project / "notes").mkdir()
    (project / "notes" / "todo.txt").write_text("my private notes\n")  # ignored by notes/
    before = snapshot(project)
    with pytest.raises(Exception, match=r"adds notes/todo.txt, which you already have"):
        update(project)
    assert snapshot(project) == before


@pytest.mark.parametrize("case", ["dirty", "untracked", "not a project", "corrupt state",
                                  "no repository", "no snapshot", "missing ref", "downgrade",
                                  "merge in progress", "rebase in progress",
                                  "hand-edited answer"])  # fmt: skip
@pytest.mark.reliability("state and history")
def test_refusals_change_nothing(runner, tmp_path, project, case):
    args = ["update", str(project), "--defaults"]
    if case == "dirty":
        (project / "keep.txt").write_text("changed\n")
    elif case == "untracked":
        (project / "new.txt").write_text("new\n")
    elif case == "not a project":
        args[1] = str(tmp_path / "template-repo")
    elif case == "corrupt state":
        (project / ".mlscaffold.toml").write_text("schema_version = [\n")
        commit_all(project)
    elif case == "no repository":
        shutil.rmtree(project / ".git")
    elif case == "no snapshot":
        shutil.rmtree(project / ".git")
        git(project, "init", "--quiet")
        commit_all(project, "history rewritten")
    elif case == "missing ref":
        args += ["--vcs-ref", "v9.0.0"]
    elif case == "downgrade":
        assert not update(project).conflicts
        git(project, "commit", "--quiet", "-m", "to v2")
        args += ["--vcs-ref", "v1.0.0"]
    elif case == "rebase in progress":
        git(project, "checkout", "--quiet", "-b", "side")
        (project / "keep.txt").write_text("side\n")
        commit_all(project, "side")
        git(project, "checkout", "--quiet", "-")
        (project / "keep.txt").write_text("main\n")
        commit_all(project, "main")
        subprocess.run(["git", "rebase", "side"], cwd=project, capture_output=True)
    elif case == "hand-edited answer":
        state = project / ".mlscaffold.toml"
        state.write_text(state.read_text().replace("source = ", "sauce = "))
        commit_all(project, "edit state by hand")
    elif case == "merge in progress":
        readme = project / "README.md"
        readme.write_text(readme.read_text().replace("line c", "line c, mine"))
        commit_all(project)
        update(project)
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    messages = {
        "dirty": "uncommitted changes (keep.txt)", "untracked": "uncommitted changes (new.txt)",
        "not a project": "is not inside an mlscaffold project",
        "corrupt state": "is not a valid mlscaffold state file",
        "no repository": "is not in a git repository",
        "no snapshot": "no pristine snapshot of this project",
        "missing ref": "--vcs-ref v9.0.0 was not found", "downgrade": "does not downgrade",
        "merge in progress": "a merge is in progress",
        "rebase in progress": "a rebase is in progress",
        "hand-edited answer": "is not a valid mlscaffold state file (it misses 'source')",
    }  # fmt: skip
    assert messages[case] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before


@pytest.mark.reliability("state and history")
def test_shallow_clone_says_how_to_fix(tmp_path, project):
    (project / "keep.txt").write_text("keep, mine\n")
    commit_all(project)
    clone = tmp_path / "shallow"
    url = f"file://{project}"
    subprocess.run(["git", "clone", "--quiet", "--depth=1", url, str(clone)], check=True)
    with pytest.raises(Exception, match="git fetch --unshallow"):
        update(clone)


@pytest.mark.reliability("faults")
def test_interrupted_merge_leaves_the_tree_as_it_was(project, monkeypatch):
    import mlscaffold.update as updating

    (project / "keep.txt").write_text("keep, mine\n")
    commit_all(project)
    before = snapshot(project)
    real_process = updating.git._process

    def interrupt_after_merge(cwd, args, *rest, **kwargs):
        output = real_process(cwd, args, *rest, **kwargs)
        if "merge" in args and "--abort" not in args:
            raise KeyboardInterrupt
        return output

    monkeypatch.setattr(updating.git, "_process", interrupt_after_merge)
    with pytest.raises(KeyboardInterrupt):
        update(project)
    monkeypatch.undo()
    assert snapshot(project) == before
    assert not git(project, "status", "--porcelain")


def test_project_in_a_monorepo(tmp_path, template):
    mono = tmp_path / "mono"
    (mono / "services").mkdir(parents=True)
    (mono / "services" / "api.py").write_text("print('api')\n")
    git(mono, "init", "--quiet", "--initial-branch=main")
    commit_all(mono, "monorepo")
    (mono / "ml").mkdir()
    created = create_project(
        mono / "ml" / "churn", template=str(template), vcs_ref="v1.0.0", defaults=True,
        interactive=False, monorepo=True,
    )  # fmt: skip
    project = created.path
    assert (project / "README.md").exists()
    assert not (project / ".git").exists()  # no nested repository
    git(mono, "commit", "--quiet", "-m", "add churn project")
    (project / "keep.txt").write_text("keep, mine\n")
    (mono / "services" / "api.py").write_text("print('api v2')\n")
    commit_all(mono)
    result = update(project)
    assert not result.conflicts
    assert (project / "added.txt").exists()
    assert (project / "keep.txt").read_text() == "keep, mine\n"
    assert (mono / "services" / "api.py").read_text() == "print('api v2')\n"
    staged = git(mono, "diff", "--cached", "--name-only").splitlines()
    assert staged and all(path.startswith("ml/churn/") for path in staged)


def test_diff_shows_the_projects_own_changes(runner, project):
    (project / "keep.txt").write_text("keep, mine\n")
    result = runner.invoke(app, ["diff", str(project)])
    assert result.exit_code == 0
    assert "+keep, mine" in result.stdout and "-keep" in result.stdout


def test_executable_bit_and_mode_are_kept(project):
    script = project / "run.sh"
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    commit_all(project)
    update(project)
    assert os.access(script, os.X_OK)


CHECKLIST_V1 = """\
schema_version = 1
[[item]]
id = "core.data.schema"
stage = "data"
title = "A schema is checked"
required = true
[[item]]
id = "core.data.pii"
stage = "data"
title = "PII is handled"
"""
CHECKLIST_V2 = (
    CHECKLIST_V1.replace("A schema is checked", "A schema is machine-checked")
    + """\
[[item]]
id = "core.data.report"
stage = "data"
title = "The data report is written"
"""
)


@pytest.mark.reliability("user edits on update")
def test_checklist_ticks_and_reasons_survive_reworded_and_new_items(tmp_path):
    root = tmp_path / "t"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(COPIER_V1)
    (root / "template" / "README.md").write_text("hi\n")
    (root / "checklists.toml").write_text(CHECKLIST_V1)
    git(root, "init", "--quiet", "--initial-branch=main")
    commit_all(root, "v1")
    git(root, "tag", "v1.0.0")
    (root / "checklists.toml").write_text(CHECKLIST_V2)
    commit_all(root, "v2")
    git(root, "tag", "v2.0.0")
    project = create_project(
        tmp_path / "p", template=str(root), vcs_ref="v1.0.0", defaults=True, interactive=False
    ).path
    checklist = project / "stages" / "02-data" / "CHECKLIST.md"
    text = checklist.read_text()
    text = text.replace("- [ ] A schema is checked", "- [x] A schema is checked")
    text = text.replace(
        "- [ ] PII is handled (`core.data.pii`)",
        "- [-] PII is handled (`core.data.pii`)\n  - N/A: no personal data",
    )
    checklist.write_text(text)
    commit_all(project, "tick")

    result = update(project)
    assert result.conflicts == []
    merged = checklist.read_text()
    assert "- [x] A schema is machine-checked (`core.data.schema`, required)" in merged
    assert "- [-] PII is handled (`core.data.pii`)\n  - N/A: no personal data" in merged
    assert "- [ ] The data report is written (`core.data.report`)" in merged


def test_add_and_remove_a_plugin(runner, tmp_path, project, register_plugin):
    from types import SimpleNamespace

    from mlscaffold import hookimpl

    layer = tmp_path / "acme-layer"
    (layer / "stages").mkdir(parents=True)
    (layer / "ACME.md.jinja").write_text("acme for {{ project_name }}\n")
    register_plugin(SimpleNamespace(mlscaffold_templates=hookimpl(lambda: [layer])), "acme")

    added = runner.invoke(app, ["add", "acme", "--path", str(project)])
    assert added.exit_code == 0, added.output
    assert (project / "ACME.md").read_text() == "acme for proj\n"
    assert set(read_state(project).plugins) == {"acme"}
    git(project, "commit", "--quiet", "-m", "add acme")

    again = runner.invoke(app, ["add", "acme", "--path", str(project)])
    assert again.exit_code == 1 and "already used" in again.stderr

    # A new plugin version changes its file; the update brings the change in.
    (layer / "ACME.md.jinja").write_text("acme v2 for {{ project_name }}\n")
    assert not update(project).conflicts
    assert (project / "ACME.md").read_text() == "acme v2 for proj\n"
    git(project, "commit", "--quiet", "-m", "acme v2")

    removed = runner.invoke(app, ["remove", "acme", "--path", str(project)])
    assert removed.exit_code == 0, removed.output
    assert not (project / "ACME.md").exists()
    assert read_state(project).plugins == {}
    git(project, "commit", "--quiet", "-m", "remove acme")
    missing = runner.invoke(app, ["remove", "acme", "--path", str(project)])
    assert missing.exit_code == 1 and "is not used by this project" in missing.stderr


def test_adding_a_plugin_keeps_the_template_version(runner, tmp_path, project, register_plugin):
    from types import SimpleNamespace

    from mlscaffold import hookimpl

    register_plugin(SimpleNamespace(mlscaffold_questions=hookimpl(lambda: {})), "quiet")
    result = runner.invoke(app, ["add", "quiet", "--path", str(project)])
    assert result.exit_code == 0, result.output
    assert read_state(project).template_version == "1.0.0"
    assert not (project / "added.txt").exists()  # v2's files did not come along


def test_built_in_template_update_keeps_edits_across_stages(tmp_path, monkeypatch, register_plugin):
    """A project from the built-in template, edited in several stages and committed, takes a
    changed template and a changed plugin, in the original and in a fresh clone."""
    from types import SimpleNamespace

    from conftest import REPO

    import mlscaffold.sources as sources
    from mlscaffold import hookimpl

    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    monkeypatch.setattr(sources, "builtin_templates_dir", lambda: templates)
    layer = tmp_path / "acme"
    (layer / "stages" / "05-monitoring").mkdir(parents=True)
    alerts = layer / "stages" / "05-monitoring" / "acme-alerts.md"
    alerts.write_text("# Alerts\n\npage the on-call engineer\n")
    register_plugin(SimpleNamespace(mlscaffold_templates=hookimpl(lambda: [layer])), "acme")
    project = create_project(
        tmp_path / "proj", defaults=True, interactive=False, plugins=["acme"]
    ).path
    edits = {
        "stages/01-scoping/metrics.md": ("Keep the tree current", "Our KPI: churn per month."),
        "stages/02-data/data-definitions.md": ("## Features", "Owner of every feature: Ada."),
        "configs/model.toml": ("C = 1.0", "C = 0.5"),
    }
    for path, (anchor, added) in edits.items():
        text = (project / path).read_text()
        (project / path).write_text(text.replace(anchor, f"{added}\n\n{anchor}", 1))
    commit_all(project, "our edits across stages")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(project), str(clone)], check=True)

    # The template and the plugin change.
    readme = templates / "project" / "template" / "stages" / "02-data" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nNew in this version: a data contract.\n")
    metrics = templates / "project" / "template" / "stages" / "01-scoping" / "metrics.md"
    metrics.write_text(metrics.read_text().replace("# Metric tree", "# Metric tree (v2)"))
    alerts.write_text("# Alerts\n\npage the on-call engineer\nescalate after 30 minutes\n")

    for copy in (project, clone):
        result = update(copy)
        assert result.conflicts == []
        for path, (_, added) in edits.items():
            assert added in (copy / path).read_text(), path
        assert "a data contract" in (copy / "stages" / "02-data" / "README.md").read_text()
        assert "# Metric tree (v2)" in (copy / "stages" / "01-scoping" / "metrics.md").read_text()
        assert (
            "escalate after 30 minutes"
            in (copy / "stages" / "05-monitoring" / "acme-alerts.md").read_text()
        )


def test_blobs_reads_many_files_of_many_revisions_in_one_go(tmp_path):
    from mlscaffold import git as mgit

    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    (tmp_path / "dir").mkdir()
    binary = bytes(range(256)) * 3 + b"\n\nmissing\n"  # newlines and a fake header inside
    (tmp_path / "dir" / "data.bin").write_bytes(binary)
    (tmp_path / "a b.txt").write_text("first\n")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "--quiet", "-m", "one")
    (tmp_path / "a b.txt").write_text("second\n")
    git(tmp_path, "commit", "--quiet", "--all", "-m", "two")
    found = mgit.blobs(tmp_path, [
        ("HEAD~1", "a b.txt"), ("HEAD", "dir/data.bin"), ("HEAD", "absent.txt"),
        ("HEAD", "dir"), ("HEAD", "a b.txt"), ("no-such-rev", "a b.txt"),
    ])  # fmt: skip
    assert found == [b"first\n", binary, None, None, b"second\n", None]
    assert mgit.blobs(tmp_path, []) == []


def test_export_writes_a_commit_and_leaves_the_repository_alone(tmp_path):
    from mlscaffold import git as mgit

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "docs").mkdir()
    (repo / "docs" / "a.md").write_text("v1\n")
    (repo / "link").symlink_to("docs/a.md")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "v1")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "docs" / "a.md").write_text("v2\n")
    git(repo, "commit", "--quiet", "--all", "-m", "v2")
    (repo / "docs" / "a.md").write_text("work in progress\n")  # uncommitted, must stay
    before = snapshot(repo)
    mgit.export(repo, first, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "docs" / "a.md").read_text() == "v1\n"
    assert (out / "run.sh").stat().st_mode & 0o111
    assert (out / "link").is_symlink() and (out / "link").read_text() == "v1\n"
    assert not (out / ".git").exists()
    assert snapshot(repo) == before
