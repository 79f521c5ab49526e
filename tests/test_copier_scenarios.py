"""copier's own update scenarios, run against mlscaffold.

Each test builds a small template as copier templates are written (``copier.yml`` at the
root, an answers file ``{{ _copier_conf.answers_file }}.jinja``, tags for versions), makes
a project from its first version with ``mlscaffold new``, changes it as a user would, and
updates it. The scenarios are those of copier's ``tests/test_updatediff.py`` and its
conflict tests: the facts (what the file holds afterwards) carry over, the code does not.
Each scenario's docstring says ``MATCH`` (the project ends as copier leaves it) or
``DIFFERENCE`` (a deliberate one, and why); docs/coming-from-copier.md lists them all,
and the last test keeps that list and these tests the same.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from conftest import git, write_tree
from typer.testing import CliRunner

from mlscaffold.cli import app
from mlscaffold.errors import EXIT_CONFLICTS, MlscaffoldError
from mlscaffold.project import create_project
from mlscaffold.update import update_project

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "coming-from-copier.md"
ANSWERS_FILE = {
    "{{ _copier_conf.answers_file }}.jinja": (
        "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml }}"
    )
}


class Template:
    """A copier template in a git repository; each ``release`` is a commit and a tag."""

    def __init__(self, root: Path, files: dict[str, str | bytes]) -> None:
        self.root = root
        root.mkdir(parents=True)
        git(root, "init", "--quiet", "--initial-branch=main")
        # copier's default answers file, said as templates say it (copier.yml is optional in
        # copier, not yet in mlscaffold)
        self.release("v1", {"copier.yml": "_answers_file: .copier-answers.yml\n", **ANSWERS_FILE,
                            **files})  # fmt: skip

    def release(
        self,
        tag: str,
        files: dict[str, str | bytes | None],
        executable: tuple[str, ...] = (),
        plain: tuple[str, ...] = (),
    ) -> None:
        write_tree(self.root, files)
        for relative in executable:
            (self.root / relative).chmod(0o755)
        for relative in plain:
            (self.root / relative).chmod(0o644)
        git(self.root, "add", "--all")
        git(self.root, "commit", "--quiet", "--allow-empty", "-m", f"release {tag}")
        git(self.root, "tag", tag)


def new(template: Template, dest: Path, **data: object) -> Path:
    return create_project(
        dest, template=str(template.root), vcs_ref="v1", data=data, defaults=True,
        interactive=False,
    ).path  # fmt: skip


def save(project: Path, message: str = "user edits") -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def update(project: Path, **options: object):
    return update_project(project, defaults=True, interactive=False, **options)


def unmerged(repo: Path) -> list[str]:
    out = git(repo, "diff", "--name-only", "-z", "--diff-filter=U")
    return sorted(filter(None, out.split("\0")))


def cli_update(project: Path, *args: str):
    return CliRunner().invoke(app, ["update", str(project), "--defaults", *args])


# --- updatediff ----------------------------------------------------------------------


def test_updatediff(tmp_path):
    """MATCH: copier's test_updatediff. The user's edit to a line the template did not
    touch and the template's restructured lines both land in README.txt, and a changed
    answer re-renders it."""
    readme = (
        "\nLet me introduce myself.\n\nMy name is {{author_name}}, and my project is "
        "{{project_name}}.\n\nThanks for your attention.\n"
    )
    template = Template(tmp_path / "tpl", {
        "copier.yml": "project_name: to become a pirate\nauthor_name: Guybrush\n",
        "README.txt.jinja": readme,
    })  # fmt: skip
    template.release("v2", {
        "copier.yml": "project_name: to rule\nauthor_name: Elaine\n",
        "README.txt.jinja": (
            "\nLet me introduce myself.\n\nMy name is {{author_name}}.\n\nMy project is "
            "{{project_name}}.\n\nThanks for your attention.\n"
        ),
    })  # fmt: skip
    # Answered as copier's --defaults would (mlscaffold's own defaults for author_name and
    # project_name are the folder's name and git's identity)
    project = new(
        template, tmp_path / "target", author_name="Guybrush", project_name="to become a pirate"
    )
    path = project / "README.txt"
    path.write_text(path.read_text().replace("your attention", "your grog"))
    save(project, "I prefer grog")
    result = update(project)
    assert not result.conflicts
    assert path.read_text() == (
        "\nLet me introduce myself.\n\nMy name is Guybrush.\n\nMy project is to become a "
        "pirate.\n\nThanks for your grog.\n"
    )
    save(project, "update to v2")
    update(project, data={"author_name": "Largo LaGrande", "project_name": "to steal a lot"})
    assert path.read_text() == (
        "\nLet me introduce myself.\n\nMy name is Largo LaGrande.\n\nMy project is to steal "
        "a lot.\n\nThanks for your grog.\n"
    )


def test_update_needs_more_context(tmp_path):
    """MATCH: copier's test_update_needs_more_context, which copier passes only with 3 or
    more ``--context-lines``: git's 3-way merge of whole files places the user's new line
    in the right one of several look-alike functions, with no option."""
    same = '    print("This line is equal to the next one.")\n'
    body = same * 4 + '    print("Previous line lied.")\n'
    v1 = f"def function_one():\n{body}\ndef function_two():\n{body}"
    template = Template(tmp_path / "tpl", {"sample.py": v1})
    template.release("v2", {"sample.py": f"def function_zero():\n{body}\n{v1}"})
    project = new(template, tmp_path / "dst")
    mine = v1.replace(
        f"def function_two():\n{same * 2}",
        f'def function_two():\n{same * 2}    print("This line is new.")\n',
    )
    (project / "sample.py").write_text(mine)
    save(project)
    assert not update(project).conflicts
    assert (project / "sample.py").read_text() == f"def function_zero():\n{body}\n{mine}"


BRACKETS = (
    "_envops:\n  block_start_string: '[%'\n  block_end_string: '%]'\n"
    "  comment_start_string: '[#'\n  comment_end_string: '#]'\n"
    "  variable_start_string: '[['\n  variable_end_string: ']]'\n"
    "  keep_trailing_newline: true\n_templates_suffix: .tmpl\n"
)


def test_post_checkout_hook_ignored(tmp_path, runner):
    """MATCH: copier's test_post_checkout_hook_ignored, with its bracket ``_envops`` and
    ``.tmpl`` suffix: the project's failing git hooks do not run during an update, which
    ends as any update with a conflict does (exit 4)."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": BRACKETS + "name: {default: n}\n",
        "[[ _copier_conf.answers_file ]].tmpl": "[[ _copier_answers|to_nice_yaml ]]",
        "test.txt": "This is a file", "named.txt.tmpl": "[[ name ]] {{ kept }}\n",
    })  # fmt: skip
    template.release("v2", {"test.txt": "This is an edited file in v2"})
    project = new(template, tmp_path / "dst")
    assert (project / "named.txt").read_text() == "n {{ kept }}\n"
    (project / "test.txt").write_text("This is a conflicting change")
    save(project)
    for hook in ("post-checkout", "post-merge", "pre-commit", "pre-merge-commit"):
        path = project / ".git" / "hooks" / hook
        path.write_text(f"#!/bin/sh\ntouch {hook}-ran\nexit 1\n")
        path.chmod(0o755)
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    assert unmerged(project) == ["test.txt"]
    assert not list(project.glob("*-ran"))


# --- _skip_if_exists -----------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["skip_me", "/skip_me"])
@pytest.mark.parametrize("monorepo", [False, True])
def test_skip_update(tmp_path, pattern, monorepo):
    """MATCH: copier's test_skip_update. A file matched by ``_skip_if_exists`` that the
    user edited keeps the user's version when the template changes it; no conflict."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": f"_skip_if_exists: ['{pattern}']\n", "skip_me": "1",
        "sub/skip_me": "deep 1", "other": "a",
    })  # fmt: skip
    template.release("v2", {"skip_me": "3", "sub/skip_me": "deep 3", "other": "b"})
    if monorepo:
        outer = tmp_path / "repo"
        outer.mkdir()
        git(outer, "init", "--quiet")
        (outer / "README").write_text("monorepo\n")
        save(outer, "start")
        project = create_project(
            outer / "sub project", template=str(template.root), vcs_ref="v1", defaults=True,
            interactive=False, monorepo=True,
        ).path  # fmt: skip
        save(outer, "add the project")
    else:
        project = new(template, tmp_path / "dst")
    (project / "skip_me").write_text("2")
    save(project)
    result = update(project)
    assert not result.conflicts
    assert (project / "skip_me").read_text() == "2"
    assert (project / "other").read_text() == "b"
    # copier's patterns are gitignore's: `skip_me` matches in any folder, `/skip_me` only here
    assert (project / "sub/skip_me").read_text() == ("deep 1" if pattern == "skip_me" else "deep 3")


def test_skip_update_deleted(tmp_path):
    """MATCH: copier's test_skip_update_deleted and its documentation ("skipped only if
    they already exist, but always present"): a ``_skip_if_exists`` file the user deleted
    is written again by the update, as the new version renders it."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": "_skip_if_exists: ['*skip*']\n", "skip file with whitespace": "1",
        "skip_changed": "1", "another_file": "foobar",
    })  # fmt: skip
    template.release("v2", {"skip_changed": "2", "another_file": "foobar 2"})
    project = new(template, tmp_path / "dst")
    (project / "skip file with whitespace").unlink()
    (project / "skip_changed").unlink()
    save(project)
    result = update(project)
    assert not result.conflicts
    assert (project / "skip file with whitespace").read_text() == "1"
    assert (project / "skip_changed").read_text() == "2"
    assert sorted(result.restored) == ["skip file with whitespace", "skip_changed"]
    assert "skip_changed" in git(project, "diff", "--cached", "--name-only")


def test_skip_if_exists_templated(tmp_path):
    """MATCH: copier's test_skip_if_exists_templated. ``_skip_if_exists`` patterns are
    rendered with the answers before they match."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": (
            "name: {default: skip}\n_skip_if_exists:\n  - \"{{ name }}-if-exists.txt\"\n"
        ),
        "skip-if-exists.txt": "foo",
    })  # fmt: skip
    template.release("v2", {"skip-if-exists.txt": "bar"})
    project = new(template, tmp_path / "dst")
    (project / "skip-if-exists.txt").write_text("baz")
    save(project)
    assert not update(project).conflicts
    assert (project / "skip-if-exists.txt").read_text() == "baz"


def test_skip_if_exists_new_in_template_and_project(tmp_path):
    """MATCH: copier skips a ``_skip_if_exists`` file the project already has when a new
    version of the template starts rendering it: the project's version stays, no conflict."""
    template = Template(tmp_path / "tpl", {"copier.yml": "_skip_if_exists: [local.cfg]\n"})
    template.release("v2", {"local.cfg": "template's\n"})
    project = new(template, tmp_path / "dst")
    (project / "local.cfg").write_text("mine\n")
    save(project)
    assert not update(project).conflicts
    assert (project / "local.cfg").read_text() == "mine\n"


def test_skip_if_exists_untracked_and_ignored_files_are_left_alone(tmp_path):
    """MATCH: copier skips a ``_skip_if_exists`` file that exists, tracked or not: an
    untracked file of the user's at a path a new version starts to render, and an ignored
    .env whose template version changed, are left as they are, with nothing beside them;
    a missing one is written."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": "_skip_if_exists: [local.cfg, .env, .secrets]\n",
        ".gitignore": ".env\n.secrets\n", ".env.jinja": "A=1\n", ".secrets.jinja": "S=1\n",
    })  # fmt: skip
    template.release("v2", {"local.cfg": "template's\n", ".env.jinja": "A=2\n",
                            ".secrets.jinja": "S=2\n"})  # fmt: skip
    project = new(template, tmp_path / "dst")
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write("local.cfg\n")
    save(project, "ignore my local.cfg")
    (project / "local.cfg").write_text("mine\n")
    (project / ".env").write_text("A=mine\n")
    (project / ".secrets").unlink()
    result = update(project)
    assert not result.conflicts
    assert (project / "local.cfg").read_text() == "mine\n"
    assert (project / ".env").read_text() == "A=mine\n"
    assert not (project / ".env.new").exists()
    assert (project / ".secrets").read_text() == "S=2\n"
    assert result.ignored == [(".secrets", "created")]
    assert "local.cfg" not in git(project, "ls-files", "--cached")


# --- deleted and removed files -------------------------------------------------------


def test_update_deleted_path(tmp_path, runner):
    """DIFFERENCE: copier's test_update_deleted_path leaves a file the user deleted deleted,
    even when the template changed it, and says nothing. mlscaffold makes it a conflict git
    knows (deleted by you, modified by the template; exit 4): the template's change may
    matter, and `git rm` keeps the file deleted. A file the user did not delete is updated
    (MATCH), and an unchanged file the user deleted stays deleted (MATCH)."""
    template = Template(tmp_path / "tpl", {
        "file with whitespace": "foo", "unchanged": "same", "dont_wildmatch": "bar",
    })  # fmt: skip
    template.release("v2", {"file with whitespace": "bar", "dont_wildmatch": "baz"})
    project = new(template, tmp_path / "dst")
    (project / "file with whitespace").unlink()
    (project / "unchanged").unlink()
    save(project)
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    assert unmerged(project) == ["file with whitespace"]
    assert (project / "dont_wildmatch").read_text() == "baz"
    assert not (project / "unchanged").exists()
    git(project, "rm", "--quiet", "file with whitespace")
    assert not (project / "file with whitespace").exists()


def test_update_deleted_path_not_used_as_pattern(tmp_path):
    """MATCH: copier's test_update_deleted_path_not_used_as_pattern. Deleting test.txt
    deletes no other test.txt."""
    template = Template(tmp_path / "tpl", {
        "test.txt": "remove", "foo/test.txt": "keep", "foo/bar/test.txt": "keep",
    })  # fmt: skip
    template.release("v2", {"copier.yml": "version: {default: 2}\n"})
    project = new(template, tmp_path / "dst")
    (project / "test.txt").unlink()
    save(project)
    assert not update(project).conflicts
    assert not (project / "test.txt").exists()
    assert (project / "foo/test.txt").read_text() == "keep"
    assert (project / "foo/bar/test.txt").read_text() == "keep"


def test_file_removed(tmp_path):
    """MATCH: copier's test_file_removed. Files and folders the template drops are removed;
    the user's own files in those folders stay, and so does a template file the user
    ignored."""
    template = Template(tmp_path / "tpl", {
        "1.txt": "content 1", "dir 2/2.txt": "content 2", "dir 3/subdir 3/3.txt": "content 3",
        "dir 4/subdir 4/4.txt": "content 4", "dir 5/subdir 5/5.txt": "content 5",
        "toignore.txt": "should survive update",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    for relative in ("I.txt", "dir II/II.txt", "dir 3/subdir III/III.txt", "dir 4/subdir 4/IV.txt"):
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(f"content {relative}")
    save(project)
    template.release("v2", {
        "1.txt": None, "dir 2/2.txt": None, "dir 3/subdir 3/3.txt": None,
        "dir 4/subdir 4/4.txt": None, "dir 5/subdir 5/5.txt": None, "6.txt": "content 6",
    })  # fmt: skip
    (project / ".gitignore").write_text("toignore.txt")
    save(project, "ignore file")
    assert not update(project).conflicts
    for kept in ("I.txt", "dir II/II.txt", "dir 3/subdir III/III.txt", "dir 4/subdir 4/IV.txt",
                 "6.txt", "toignore.txt"):  # fmt: skip
        assert (project / kept).is_file(), kept
    for gone in ("1.txt", "dir 2", "dir 3/subdir 3", "dir 4/subdir 4/4.txt", "dir 5"):
        assert not (project / gone).exists(), gone


# --- _exclude ------------------------------------------------------------------------


def test_exclude_added_in_new_version(tmp_path):
    """MATCH: copier's test_exclude_added_in_new_version. A path a new version adds to
    ``_exclude`` is no longer the template's: it stays in the project as it is, edited or
    not, while other files are updated."""
    template = Template(tmp_path / "tpl", {
        "copy-only": "foo", "copy-and-update": "foo", "edited-then-excluded": "foo",
    })  # fmt: skip
    template.release("v2", {
        "copier.yml": "_exclude:\n  - copy-only\n  - edited-then-excluded\n",
        "copy-only": "bar", "copy-and-update": "bar", "edited-then-excluded": "bar",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    (project / "edited-then-excluded").write_text("mine")
    save(project)
    result = update(project)
    assert not result.conflicts
    assert (project / "copy-only").read_text() == "foo"
    assert (project / "edited-then-excluded").read_text() == "mine"
    assert (project / "copy-and-update").read_text() == "bar"
    assert "copy-and-update" in [path for _, path in result.changes]
    assert not any(path.startswith(("copy-only", "edited")) for _, path in result.changes)


def test_exclude_on_update_only(tmp_path):
    """MATCH: copier's documented ``_exclude`` example: files excluded when
    ``_copier_operation`` is ``update`` are rendered once by ``new`` and never again: an
    update neither changes them nor writes new ones."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": (
            "_exclude:\n  - \"{% if _copier_operation == 'update' -%}src/*_example.py"
            "{% endif %}\"\n  - copier.yml\n"
        ),
        "src/app_example.py": "v1\n", "src/app.py": "v1\n",
    })  # fmt: skip
    template.release("v2", {
        "src/app_example.py": "v2\n", "src/new_example.py": "v2\n", "src/app.py": "v2\n",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    assert (project / "src/app_example.py").read_text() == "v1\n"
    result = update(project)
    assert not result.conflicts
    assert (project / "src/app.py").read_text() == "v2\n"
    assert (project / "src/app_example.py").read_text() == "v1\n"
    assert not (project / "src/new_example.py").exists()


# --- subdirectory of a repository ----------------------------------------------------


def test_update_in_repo_subdirectory(tmp_path, runner):
    """DIFFERENCE: copier's test_update_in_repo_subdirectory leaves a ``.rej`` file or
    inline markers with no state in git's index, and exits 0. mlscaffold merges only the
    project's subtree, and a conflict is git's own: the file is unmerged in the index
    (`git status`, `git mergetool`, `git merge --abort` work) and the exit code is 4."""
    template = Template(tmp_path / "tpl", {"version.txt": "v1\n"})
    template.release("v2", {"version.txt": "v2\n"})
    outer = tmp_path / "dst"
    outer.mkdir()
    git(outer, "init", "--quiet")
    (outer / "top.txt").write_text("not the project's\n")
    save(outer, "start")
    project = create_project(
        outer / "subdir", template=str(template.root), vcs_ref="v1", defaults=True,
        interactive=False, monorepo=True,
    ).path  # fmt: skip
    save(outer, "add the project")
    (project / "version.txt").write_text("v1 edited\n")
    save(outer, "edit")
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    assert unmerged(outer) == ["subdir/version.txt"]
    text = (project / "version.txt").read_text()
    assert re.fullmatch(r"<<<<<<< HEAD\nv1 edited\n=======\nv2\n>>>>>>> \S+\n", text), text
    assert (outer / "top.txt").read_text() == "not the project's\n"


# --- conflicts -----------------------------------------------------------------------

NAMES = ["README.md", "spa ces", 'qu`o"tes', "m4â4ñ4a", "new\nline", "tab\tand\\back"]


@pytest.mark.skipif(sys.platform == "win32", reason="such names are not allowed on Windows")
@pytest.mark.parametrize("name", NAMES)
def test_conflicted_files_are_marked_unmerged(tmp_path, runner, name):
    """MATCH: copier's test_conflicted_files_are_marked_unmerged. A conflicted file is
    unmerged in git's index (``UU``) whatever its name holds (quotes, spaces, non-ASCII, a
    newline), and the update exits 4; the markers are git's (DIFFERENCE in labels only:
    HEAD and the snapshot commit rather than "before updating" and "after updating")."""
    template = Template(tmp_path / "tpl", {name: "upstream version 1\n"})
    template.release("v2", {name: "upstream version 2\n"})
    project = new(template, tmp_path / "dst")
    (project / name).write_text("upstream version 1 + downstream\n")
    save(project)
    done = runner.invoke(app, ["update", str(project), "--defaults", "--json"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    assert unmerged(project) == [name]
    assert json.loads(done.stdout)["conflicts"] == [name]
    status = git(project, "status", "--porcelain=v1", "-z")
    assert f"UU {name}" in status.split("\0")
    text = (project / name).read_text()
    assert "upstream version 1 + downstream\n=======\nupstream version 2\n" in text


@pytest.mark.skipif(sys.platform == "win32", reason="such names are not allowed on Windows")
def test_dry_run_predicts_conflicts_in_unusual_names(tmp_path, runner):
    """MATCH: copier's --pretend shows what an update does; mlscaffold's --dry-run names the
    files that would conflict exactly as the real run leaves them, whatever their names."""
    names = NAMES[1:]
    template = Template(tmp_path / "tpl", dict.fromkeys(names, "1\n"))
    template.release("v2", dict.fromkeys(names, "2\n"))
    project = new(template, tmp_path / "dst")
    for name in names:
        (project / name).write_text("mine\n")
    save(project)
    dry = runner.invoke(app, ["update", str(project), "--defaults", "--dry-run", "--json"])
    assert sorted(json.loads(dry.stdout)["conflicts"]) == sorted(names)
    real = runner.invoke(app, ["update", str(project), "--defaults", "--json"])
    assert sorted(json.loads(real.stdout)["conflicts"]) == sorted(names) == unmerged(project)


def test_3way_merged_files_without_conflicts_are_not_marked_unmerged(tmp_path):
    """MATCH: copier's test_3way_merged_files_without_conflicts_are_not_marked_unmerged.
    The user made the template's change already: no conflict, nothing unmerged."""
    template = Template(tmp_path / "tpl", {"readme.md": "upstream version 1"})
    template.release("v2", {"readme.md": "upstream version 2"})
    project = new(template, tmp_path / "dst")
    (project / "readme.md").write_text("upstream version 2")
    save(project)
    assert not update(project).conflicts
    assert (project / "readme.md").read_text() == "upstream version 2"
    assert unmerged(project) == []


def test_update_with_new_file_in_template_and_project(tmp_path, runner):
    """DIFFERENCE: copier's test_update_with_new_file_in_template_and_project: both add
    .gitlab-ci.yml; copier writes inline markers around the lines that differ and exits 0.
    mlscaffold leaves git's add/add conflict over the same lines, unmerged in the index,
    and exits 4."""
    ours = (
        "tests:\n    stage: test\n    script:\n        - ./test.sh\n\npages:\n    stage: deploy\n"
        "    script:\n        - ./deploy.sh\n"
    )
    theirs = "tests:\n    stage: test\n    script:\n        - ./test.sh --slow\n"
    template = Template(tmp_path / "tpl", {"copier.yml": "x: {default: 1}\n"})
    template.release("v2", {".gitlab-ci.yml.jinja": theirs})
    project = new(template, tmp_path / "dst")
    (project / ".gitlab-ci.yml").write_text(ours)
    save(project)
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    assert unmerged(project) == [".gitlab-ci.yml"]
    text = (project / ".gitlab-ci.yml").read_text()
    assert text.startswith("tests:\n    stage: test\n    script:\n<<<<<<< HEAD\n")
    assert "        - ./deploy.sh\n=======\n        - ./test.sh --slow\n>>>>>>> " in text


def test_conflict_on_update_with_unicode_in_content(tmp_path, runner):
    """DIFFERENCE (labels only): copier's test_conflict_on_update_with_unicode_in_content.
    The conflict holds the same lines, with emoji intact, between git's markers, and the
    file is unmerged (exit 4)."""
    content = "aaa🐍\n{%- if b %}\nbbb🐍\n{%- endif %}\nzzz🐍\n"
    template = Template(tmp_path / "tpl", {"copier.yml": "b: false\n", "content.jinja": content})
    template.release("v2", {
        "copier.yml": "b: false\nc: false\n",
        "content.jinja": content.replace("zzz", "{%- if c %}\nccc🐍\n{%- endif %}\nzzz"),
    })  # fmt: skip
    project = new(template, tmp_path / "dst", b=True)
    (project / "content").write_text("aaa🐍\nbbb🐍\njjj🐍\nzzz🐍\n", encoding="utf-8")
    save(project)
    done = runner.invoke(app, ["update", str(project), "--defaults", "-d", "c=true"])
    assert done.exit_code == EXIT_CONFLICTS, done.output
    text = (project / "content").read_text(encoding="utf-8")
    assert re.fullmatch(
        r"aaa🐍\nbbb🐍\n<<<<<<< HEAD\njjj🐍\n=======\nccc🐍\n>>>>>>> \S+\nzzz🐍\n", text
    ), text
    assert unmerged(project) == ["content"]


def test_update_with_answers_with_umlaut(tmp_path):
    """MATCH: copier's test_update_with_answers_with_umlaut. An answer with umlauts is
    recorded, replayed and recorded again unchanged."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": "umlaut:\n  type: str\n", "greeting.txt.jinja": "{{ umlaut }}\n",
    })  # fmt: skip
    template.release("v2", {"other.txt": "new\n"})
    project = new(template, tmp_path / "dst", umlaut="äöü")
    result = update(project)
    assert result.new.answers["umlaut"] == "äöü"
    assert (project / "greeting.txt").read_text(encoding="utf-8") == "äöü\n"
    assert "umlaut: äöü" in (project / ".copier-answers.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("answers_file", [None, ".custom.copier-answers.yaml"])
def test_overwrite_answers_file_always(tmp_path, runner, answers_file):
    """MATCH: copier's test_overwrite_answers_file_always. copier's answers file is its
    bookkeeping: an update writes it anew, whatever the user did to it, and the recorded
    answer wins over a changed default."""
    name = answers_file or ".copier-answers.yml"
    config = f"_answers_file: {name}\n" if answers_file else ""
    template = Template(tmp_path / "tpl", {
        "copier.yml": config + "question_1: true\n", "answer_1.jinja": "{{ question_1 }}",
    })  # fmt: skip
    template.release("v2", {"copier.yml": config + "question_1: false\n"})
    project = new(template, tmp_path / "dst")
    with (project / name).open("a") as stream:
        stream.write("question_1: edited by hand\n")
    save(project)
    dry = runner.invoke(app, ["update", str(project), "--defaults", "--dry-run", "--json"])
    assert json.loads(dry.stdout)["conflicts"] == []
    assert not update(project).conflicts
    text = (project / name).read_text()
    assert "edited by hand" not in text and "question_1: true" in text
    assert (project / "answer_1").read_text() == "True"


# --- files git ignores ---------------------------------------------------------------


def ignored_template(tmp_path: Path) -> Template:
    template = Template(tmp_path / "tpl", {
        "copier.yml": "token: {default: abc}\n", ".gitignore": ".env\n",
        ".env.jinja": "TOKEN={{ token }}\nDEBUG=0\n", "README.md": "v1\n",
    })  # fmt: skip
    template.release("v2", {"README.md": "v2\n"})
    template.release("v3", {".env.jinja": "TOKEN={{ token }}\nDEBUG=0\nLEVEL=info\n"})
    return template


def test_ignored_file_the_template_did_not_change_stays_as_yours(tmp_path):
    """MATCH: a .env the user changed, which git ignores and the new version renders as the
    last one did, is left as it is; nothing is written beside it."""
    project = new(ignored_template(tmp_path), tmp_path / "dst")
    (project / ".env").write_text("TOKEN=secret\n")
    result = update(project, vcs_ref="v2")
    assert not result.conflicts and result.ignored == []
    assert (project / ".env").read_text() == "TOKEN=secret\n"
    assert not (project / ".env.new").exists()
    assert ".env" not in git(project, "ls-files")


def test_update_keeps_template_generated_gitignored_file(tmp_path, runner):
    """MATCH: copier's test_update_keeps_template_generated_gitignored_file. An ignored
    .env still as the last render made it takes the new version's content."""
    project = new(ignored_template(tmp_path), tmp_path / "dst")
    done = runner.invoke(app, ["update", str(project), "--defaults", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["ignored"] == [
        {"path": ".env", "action": "updated", "new": ".env"}
    ]
    assert (project / ".env").read_text() == "TOKEN=abc\nDEBUG=0\nLEVEL=info\n"
    assert not (project / ".env.new").exists()
    assert ".env" not in git(project, "ls-files", "--cached")


def test_ignored_file_the_template_changed_is_written_beside_yours(tmp_path, runner):
    """DIFFERENCE: copier overwrites an ignored .env with the new version's even when the
    user changed it (their secrets are lost). mlscaffold never overwrites a file git
    ignores that the user changed (it holds what git cannot give back): when the template's
    version changed, the new one is written beside it as .env.new (as dpkg and rpm do),
    named in the output and in --json, never staged."""
    project = new(ignored_template(tmp_path), tmp_path / "dst")
    (project / ".env").write_text("TOKEN=secret\n")
    update(project, vcs_ref="v2")
    save(project, "update to v2")
    done = runner.invoke(app, ["update", str(project), "--defaults", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["ignored"] == [{"path": ".env", "action": "beside", "new": ".env.new"}]
    assert (project / ".env").read_text() == "TOKEN=secret\n"
    assert (project / ".env.new").read_text() == "TOKEN=abc\nDEBUG=0\nLEVEL=info\n"
    assert ".env.new" not in git(project, "diff", "--cached", "--name-only")
    git(project, "merge", "--abort")
    refused = runner.invoke(app, ["update", str(project), "--defaults"])
    assert refused.exit_code == 1
    assert ".env.new is the template's new version of .env" in refused.output
    (project / ".env.new").unlink()
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert ".env.new" in done.output and "diff .env .env.new" in done.output


def test_ignored_file_missing_from_the_project_is_written(tmp_path):
    """MATCH: copier writes a rendered file the project lacks; so does mlscaffold for one
    git ignores (a fresh clone has no .env), with the new version's content, unstaged."""
    project = new(ignored_template(tmp_path), tmp_path / "dst")
    (project / ".env").unlink()
    result = update(project, vcs_ref="v3", data={"token": "xyz"})
    assert result.ignored == [(".env", "created")]
    assert (project / ".env").read_text() == "TOKEN=xyz\nDEBUG=0\nLEVEL=info\n"
    assert ".env" not in git(project, "ls-files", "--cached")


def test_disable_secret_validator_on_replay(tmp_path):
    """MATCH: copier's test_disable_secret_validator_on_replay. A secret answer is never
    recorded; given again on update, it reaches the ignored .env that renders it."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": (
            "token:\n  type: str\n  secret: true\n  default: ''\n"
            "  validator: \"{% if token == '' %}Must not be empty{% endif %}\"\n"
        ),
        ".gitignore": ".env\n", ".env.jinja": "TOKEN={{ token }}",
    })  # fmt: skip
    template.release("v2", {"README.md": "v2\n"})
    project = new(template, tmp_path / "dst", token="first")
    assert (project / ".env").read_text() == "TOKEN=first"
    result = update(project, data={"token": "$up3r-$3cr3t"})
    assert result.ignored == [(".env", "updated")]
    assert (project / ".env").read_text() == "TOKEN=$up3r-$3cr3t"
    assert "token" not in (project / ".copier-answers.yml").read_text()
    assert "3cr3t" not in git(project, "diff", "--cached")


def test_gitignore_file_unignored(tmp_path):
    """MATCH: copier's test_gitignore_file_unignored. A tracked .env that a new version
    starts to ignore stays in the project, and a later version that stops ignoring it
    updates cleanly."""
    template = Template(tmp_path / "tpl", {".gitignore": "", ".env": "A=1\n"})
    template.release("v2", {".gitignore": ".env"})
    template.release("v3", {".gitignore": ""})
    project = new(template, tmp_path / "dst")
    result = update(project, vcs_ref="v2")
    assert not result.conflicts
    assert (project / ".env").read_text() == "A=1\n"
    assert ".env" in git(project, "ls-files")
    save(project, "update to v2")
    assert not update(project, vcs_ref="v3").conflicts
    assert (project / ".env").read_text() == "A=1\n"


def test_dry_run_predicts_copier_rules(tmp_path, runner):
    """--dry-run predicts what the real run does with copier's rules: skipped, newly
    excluded and newly ignored files, an ignored .env, and a real conflict."""
    template = Template(tmp_path / "tpl", {
        "copier.yml": "_skip_if_exists: [keep.cfg]\n", ".gitignore": ".env\n",
        ".env.jinja": "A=1\n", "keep.cfg": "k1\n", "later-excluded.cfg": "x1\n",
        "later-ignored.txt": "i1\n", "README.md": "one\ntwo\n",
    })  # fmt: skip
    template.release("v2", {
        "copier.yml": "_skip_if_exists: [keep.cfg]\n_exclude: [later-excluded.cfg]\n",
        ".gitignore": ".env\nlater-ignored.txt\n", ".env.jinja": "A=2\n", "keep.cfg": "k2\n",
        "later-excluded.cfg": "x2\n", "later-ignored.txt": "i2\n", "README.md": "one\n2\n",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    for name in ("keep.cfg", "later-excluded.cfg", "later-ignored.txt", ".env"):
        (project / name).write_text("mine\n")
    (project / "README.md").write_text("one\nzwei\n")
    save(project)
    args = ["update", str(project), "--defaults", "--json"]
    dry = json.loads(runner.invoke(app, [*args, "--dry-run"]).stdout)
    real = json.loads(runner.invoke(app, args).stdout)
    for key in ("conflicts", "changes", "ignored", "tasks"):
        assert dry[key] == real[key], key
    assert real["conflicts"] == ["README.md"] == unmerged(project)
    # A tracked file the new version ignores is the project's now, but the template's new
    # version of it is not lost either.
    assert real["ignored"] == [
        {"path": ".env", "action": "beside", "new": ".env.new"},
        {"path": "later-ignored.txt", "action": "beside", "new": "later-ignored.txt.new"},
    ]
    for name in ("keep.cfg", "later-excluded.cfg", "later-ignored.txt", ".env"):
        assert (project / name).read_text() == "mine\n", name


# --- executable bit ------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="no executable bit on Windows")
def test_update_propagates_executable_bit(tmp_path):
    """MATCH: copier's test_update_propagates_executable_bit_addition and _removal. A
    mode-only change of the template reaches the project, content unchanged."""
    template = Template(tmp_path / "tpl", {"run.sh": "#!/bin/sh\n", "tool.sh": "#!/bin/sh\n"})
    (template.root / "tool.sh").chmod(0o755)
    git(template.root, "add", "--all")
    git(template.root, "commit", "--quiet", "--amend", "--no-edit")
    git(template.root, "tag", "--force", "v1")
    template.release("v2", {}, executable=("run.sh",), plain=("tool.sh",))
    project = new(template, tmp_path / "dst")
    assert not os.access(project / "run.sh", os.X_OK) and os.access(project / "tool.sh", os.X_OK)
    assert not update(project).conflicts
    assert (project / "run.sh").stat().st_mode & stat.S_IXUSR
    assert not (project / "tool.sh").stat().st_mode & stat.S_IXUSR
    assert (project / "run.sh").read_text() == "#!/bin/sh\n"


# --- tasks ---------------------------------------------------------------------------

TASKS = """\
_tasks:
  - "echo '{{ _copier_operation }} {{ _copier_conf.dst_path }}' > task-ran.txt"
  - command: [python3, -c, "open('list-form.txt', 'w').write('{{ project_name }}')"]
  - command: touch never.txt
    when: "{{ _copier_operation == 'copy' }}"
project_name: {default: demo}
"""


def test_tasks_run_in_the_project_after_the_merge_with_trust(tmp_path):
    """MATCH: copier runs ``_tasks`` in the project on update, with
    ``_copier_conf.dst_path`` its folder and ``_copier_operation`` ``update``; mlscaffold
    runs them there after the merge, never in its scratch render, and stages what they
    wrote with the merge."""
    template = Template(tmp_path / "tpl", {"copier.yml": "project_name: {default: demo}\n"})
    template.release("v2", {"copier.yml": TASKS, "README.md": "v2\n"})
    project = new(template, tmp_path / "dst", project_name="demo")
    result = update(project, trust=True)
    assert not result.conflicts
    written = (project / "task-ran.txt").read_text().strip()
    assert written == f"update {project.resolve()}"
    assert (project / "list-form.txt").read_text() == "demo"
    assert not (project / "never.txt").exists()
    assert len(result.tasks) == 2
    staged = git(project, "diff", "--cached", "--name-only").splitlines()
    assert {"task-ran.txt", "list-form.txt", "README.md"} <= set(staged)
    assert not git(project, "status", "--porcelain", "--untracked-files=all").count("??")


def test_tasks_run_the_templates_own_scripts(tmp_path):
    """MATCH: copier runs tasks with ``_copier_conf.src_path`` its checkout of the template,
    so a task may run a script the template holds outside what it renders."""
    script = "import pathlib, sys\npathlib.Path('post.txt').write_text(sys.argv[1])\n"
    template = Template(tmp_path / "tpl", {
        "copier.yml": "_subdirectory: template\n", "template/README.md": "v1\n",
    })  # fmt: skip
    template.release("v2", {
        "copier.yml": (
            "_subdirectory: template\n_tasks:\n  - command: ['{{ _copier_python }}', "
            "'{{ _copier_conf.src_path }}/scripts/post.py', '{{ _copier_operation }}']\n"
        ),
        "scripts/post.py": script, "template/README.md": "v2\n",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    assert not update(project, trust=True).conflicts
    assert (project / "post.txt").read_text() == "update"
    assert not (project / "scripts").exists()


def test_tasks_without_trust_are_not_run_and_said(tmp_path, runner):
    """DIFFERENCE: copier refuses to update a template with tasks without --trust;
    mlscaffold updates the files, runs no task, and says so in a note."""
    template = Template(tmp_path / "tpl", {"copier.yml": "project_name: {default: demo}\n"})
    template.release("v2", {"copier.yml": TASKS, "README.md": "v2\n"})
    project = new(template, tmp_path / "dst")
    done = runner.invoke(app, ["update", str(project), "--defaults"])
    assert done.exit_code == 0, done.output
    assert (project / "README.md").read_text() == "v2\n"
    assert not (project / "task-ran.txt").exists()
    assert "tasks" in done.output and "--trust" in done.output


def test_failing_task_undoes_the_update(tmp_path):
    """MATCH in spirit: copier stops at a failing task; mlscaffold stops too, and undoes
    the whole update, leaving the project as it was."""
    template = Template(tmp_path / "tpl", {"copier.yml": "project_name: {default: demo}\n"})
    template.release("v2", {"copier.yml": "_tasks: ['touch made.txt && exit 3']\n",
                            "README.md": "v2\n"})  # fmt: skip
    project = new(template, tmp_path / "dst")
    head = git(project, "rev-parse", "HEAD")
    with pytest.raises(MlscaffoldError, match=r"task .* failed"):
        update(project, trust=True)
    assert git(project, "rev-parse", "HEAD") == head
    assert not git(project, "status", "--porcelain", "--untracked-files=all")
    assert not (project / "made.txt").exists()


def test_failed_update_leaves_ignored_files_as_they_were(tmp_path):
    """An update undone after the merge (here by a failing task) leaves the project's
    ignored files as they were: one it would update keeps its bytes, none is created."""
    template = Template(tmp_path / "tpl", {
        ".gitignore": ".env\n", ".env.jinja": "A=1\n", "local.env.jinja": "B=1\n",
    })  # fmt: skip
    template.release("v2", {
        ".gitignore": ".env\nlocal.env\n", ".env.jinja": "A=2\n", "README.md": "v2\n",
        "copier.yml": "_tasks: ['exit 1']\n",
    })  # fmt: skip
    project = new(template, tmp_path / "dst")
    with pytest.raises(MlscaffoldError, match="task"):
        update(project, trust=True)
    assert (project / ".env").read_text() == "A=1\n"
    assert git(project, "status", "--porcelain", "--untracked-files=all", "--ignored") == "!! .env"


# --- the docs page -------------------------------------------------------------------


def scenarios() -> dict[str, str]:
    """Each scenario test of this module and its verdict, MATCH or DIFFERENCE."""
    found = {}
    for name, function in sorted(globals().items()):
        doc = getattr(function, "__doc__", None) or ""
        verdict = re.match(r"(MATCH|DIFFERENCE)\b", doc)
        if name.startswith("test_") and verdict:
            found[name] = verdict.group(1)
    return found


def test_every_scenario_is_on_the_docs_page_and_every_listed_one_is_a_test():
    page = DOCS_PAGE.read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(test_\w+)` \| (MATCH|DIFFERENCE) \|", page, re.MULTILINE))
    assert listed == scenarios()
    assert len(listed) >= 12
