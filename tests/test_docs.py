"""The docs cannot drift from the code: the hook reference is generated from hookspecs.py."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys

from conftest import REPO

from mlscaffold import hookspecs

PLUGINS_DOC = REPO / "docs" / "plugins.md"
SECTION = re.compile(
    r"(<!-- BEGIN hook reference[^\n]*-->\n)(.*?)(<!-- END hook reference -->)", re.S
)


def hook_reference() -> str:
    parts = []
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("mlscaffold_"):
            continue
        signature = str(inspect.signature(function)).replace("'", "")
        doc = inspect.cleandoc(function.__doc__ or "")
        doc = re.sub(r"Example::\n\n((?:    .*\n?|\n)+)", _example, doc)
        parts.append(f"### `{name}{signature}`\n\n{doc.strip().replace('``', '`')}\n")
    return "\n".join(parts)


def _example(match: re.Match[str]) -> str:
    code = inspect.cleandoc("\n".join(line.removeprefix("    ") for line in match[1].splitlines()))
    return f"Example:\n\n```python\n{code}\n```\n"


def test_hook_reference_matches_hookspecs():
    text = PLUGINS_DOC.read_text()
    expected = hook_reference()
    if os.environ.get("MLSCAFFOLD_UPDATE_DOCS"):
        text = SECTION.sub(lambda m: m[1] + expected + m[3], text)
        PLUGINS_DOC.write_text(text)
    current = SECTION.search(text)
    assert current, "docs/plugins.md lost its hook reference markers"
    assert current[2] == expected, "hook reference is stale: run MLSCAFFOLD_UPDATE_DOCS=1 pytest"


def test_every_hook_example_is_a_valid_plugin():
    """Each example registers with pluggy, which checks its arguments against the spec."""
    import pluggy

    from mlscaffold import hookimpl

    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("mlscaffold_"):
            continue
        example = re.search(r"Example::\n\n((?:    .*\n?|\n)+)", inspect.cleandoc(function.__doc__))
        namespace = {"hookimpl": hookimpl, "Path": __import__("pathlib").Path}
        exec(inspect.cleandoc(example[1]), namespace)
        assert name in namespace, f"the example of {name} does not define {name}"
        manager = pluggy.PluginManager("mlscaffold")
        manager.add_hookspecs(hookspecs)
        manager.register(type("Example", (), {name: staticmethod(namespace[name])})(), name="ex")
        manager.check_pending()


def test_every_hook_is_in_the_reference():
    text = PLUGINS_DOC.read_text()
    for name in dir(hookspecs):
        if name.startswith("mlscaffold_"):
            assert f"### `{name}(" in text, f"{name} is missing from docs/plugins.md"


def cli_reference() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "typer", "mlscaffold.cli", "utils", "docs", "--name", "mlscaffold"],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    return result.stdout


def test_cli_reference_matches_the_typer_app():
    path = REPO / "docs" / "reference" / "cli.md"
    expected = cli_reference()
    if os.environ.get("MLSCAFFOLD_UPDATE_DOCS"):
        path.write_text(expected)
    assert path.read_text() == expected, (
        "CLI reference is stale: run MLSCAFFOLD_UPDATE_DOCS=1 pytest"
    )


def test_docs_site_builds_with_warnings_as_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()


def test_exit_code_table_matches_the_code():
    from mlscaffold.errors import EXIT_CHECK_FAILED, EXIT_CONFLICTS

    table = (REPO / "docs" / "reference" / "exit-codes.md").read_text()
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", table, re.M))
    assert set(rows) == {"0", "1", "2", str(EXIT_CHECK_FAILED), str(EXIT_CONFLICTS)}
    assert rows[str(EXIT_CHECK_FAILED)].startswith("`check`")
    assert rows[str(EXIT_CONFLICTS)].startswith("`update`, `add`, `remove`")


def test_every_environment_variable_the_code_reads_is_documented():
    source = "".join(p.read_text() for p in (REPO / "src" / "mlscaffold").glob("*.py"))
    read = set(re.findall(r"\"((?:MLSCAFFOLD|NO|FORCE)_[A-Z_]+)\"", source))
    page = (REPO / "docs" / "reference" / "environment.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", page, re.M))
    assert read == documented
    assert {"MLSCAFFOLD_HOOK_TIMEOUT", "NO_COLOR"} <= read


def test_state_file_reference_shows_every_key_the_code_writes():
    """The documented example and a state file the code writes have the same keys."""
    import tomlkit

    from mlscaffold.state import State

    written = tomlkit.parse(State(
        template_source="builtin:project", template_version="0.1.0", template_commit="abc",
        answers={"project_name": "churn-model"}, mlscaffold_version="0.1.0",
        plugins={"acme": {"distribution": "mlscaffold-acme", "version": "0.1.0"}},
        files={"charter.md": {"owner": "template", "policy": "seed", "restore": True}},
        migrations=[{"source": "template", "version": "v2", "name": "x", "when": "before"}],
        removed={"acme": {"version": "0.1.0", "kept": ["a.yml"], "answers": {"acme_team": "x"},
                          "progress": {"acme.data.contract": "done"}}},
    ).to_toml()).unwrap()  # fmt: skip
    page = (REPO / "docs" / "reference" / "files.md").read_text()
    section = page.split("## `.mlscaffold.toml`", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    documented = tomlkit.parse("\n".join(blocks)).unwrap()

    def keys(data, prefix=""):
        found = set()
        for key, value in data.items():
            found.add(prefix + key)
            if isinstance(value, dict) and prefix + key not in (
                "answers", "files", "plugins", "removed.acme.answers", "removed.acme.progress",
            ):  # fmt: skip
                found |= keys(value, f"{prefix}{key}.")
            if isinstance(value, list) and value and isinstance(value[0], dict):
                found |= keys(value[0], f"{prefix}{key}[].")
        return found

    assert keys(documented) == keys(written)
    # every field of a file entry and of a plugin entry is shown
    entry_fields = {k for entry in documented["files"].values() for k in entry}
    assert entry_fields == {"owner", "policy", "restore"}
    assert set(next(iter(documented["plugins"].values()))) == {"distribution", "version"}
