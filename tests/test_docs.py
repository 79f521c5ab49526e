"""The docs cannot drift from the code: the hook reference is generated from hookspecs.py."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO

from mlscaffold import hookspecs

PLUGINS_DOC = REPO / "docs" / "plugins.md"
SECTION = re.compile(
    r"(<!-- BEGIN hook reference[^\n]*-->\n)(.*?)(<!-- END hook reference -->)", re.S
)


EXAMPLE = re.compile(r"Example::\n\n((?:    .*\n?|\n)+)")
FIELD = re.compile(r"^:(?:param (\w+)|return):", re.M)


def hook_reference() -> str:
    """The hook reference in Markdown, from the hookspecs' docstrings (reST-flavoured)."""
    parts = []
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("mlscaffold_"):
            continue
        signature = str(inspect.signature(function)).replace("'", "")
        doc = inspect.cleandoc(function.__doc__ or "") + "\n"
        # reST's ``literal`` is Markdown's `literal`, in the prose only: the example becomes a
        # fenced block, whose ``` a blanket replacement would break.
        pieces = EXAMPLE.split(doc)
        text = ""
        for index, piece in enumerate(pieces):
            if index % 2:
                text += f"Example:\n\n```python\n{textwrap.dedent(piece).strip()}\n```\n\n"
            else:
                prose = piece.replace("``", "`")
                # Each :param: and :return: field is an item of a list, not a run-on line.
                text += FIELD.sub(lambda m: f"- `{m[1]}`:" if m[1] else "- returns:", prose)
        parts.append(f"### `{name}{signature}`\n\n{text.strip()}\n")
    return "\n".join(parts)


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
        example = EXAMPLE.search(inspect.cleandoc(function.__doc__))
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
    """What `typer mlscaffold.cli utils docs` writes, in the context mlscaffold's commands run
    in (typer's own command's context would drop `-h`). A separate process, so that no
    plugin a test registered adds a command."""
    code = (
        "import typer.main\n"
        "from typer.cli import get_docs_for_click\n"
        "from mlscaffold.cli import app\n"
        "command = typer.main.get_command(app)\n"
        "ctx = typer.Context(command, info_name='mlscaffold', **app.info.context_settings)\n"
        "print(get_docs_for_click(obj=command, ctx=ctx, name='mlscaffold').strip() + '\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built as it is published: warnings are errors."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def iter(self, tag: str) -> list[Node]:
        found = []
        for child in self.elements():
            found += [child] * (child.tag == tag) + child.iter(tag)
        return found

    def inside(self, tag: str) -> bool:
        node = self.parent
        while node and node.tag != tag:
            node = node.parent
        return node is not None


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                      "source", "track", "wbr"})  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.open[-1])
        self.open[-1].children.append(node)
        if tag not in self.VOID:
            self.open.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)


def page(site: Path, name: str) -> Node:
    """The content of a built page: its <article>, as a tree."""
    builder = _TreeBuilder()
    builder.feed((site / name / "index.html").read_text())
    (article,) = builder.root.iter("article")
    return article


def section(article: Node, heading_id: str) -> list[Node]:
    """The elements after the heading with this id, up to the next heading of its level."""
    nodes = article.elements()
    start = next(i for i, n in enumerate(nodes) if n.attrs.get("id") == heading_id)
    level = nodes[start].tag
    after = nodes[start + 1 :]
    end = next((i for i, n in enumerate(after) if n.tag in ("h1", level)), len(after))
    return after[:end]


def test_every_hook_example_renders_as_a_code_block(site):
    article = page(site, "plugins")
    blocks = [pre.text() for pre in article.iter("pre")]
    for name in (n for n in dir(hookspecs) if n.startswith("mlscaffold_")):
        assert any(f"@hookimpl\ndef {name}(" in block for block in blocks), (
            f"the example of {name} is not a code block on the plugins page"
        )
    inline = [c for c in article.iter("code") if not c.inside("pre")]
    stray = [c.text() for c in inline if "@hookimpl" in c.text()]
    assert not stray, f"hook code rendered inline: {stray[:1]}"


def test_the_plugin_tutorial_is_one_numbered_list_holding_its_code(site):
    tutorial = section(page(site, "plugins"), "tutorial-a-team-plugin-in-ten-minutes")
    numbers = []
    for ol in (n for n in tutorial if n.tag == "ol"):
        start = int(ol.attrs.get("start") or 1)
        items = [n for n in ol.elements() if n.tag == "li"]
        numbers += range(start, start + len(items))
    assert numbers == [1, 2, 3, 4, 5]
    # The code blocks belong to their steps, not between two lists.
    assert not [n for n in tutorial if n.tag in ("div", "pre")]
    assert len([pre for n in tutorial for pre in n.iter("pre")]) == 3


def test_getting_started_commands_are_code_blocks(site):
    article = page(site, "getting-started")
    blocks = {pre.text().strip() for pre in article.iter("pre")}
    source = (REPO / "docs" / "getting-started.md").read_text()
    for block in re.findall(r"```bash\n(.*?)\n```", source, re.S):
        assert block.strip() in blocks
    assert any("bin/activate" in block for block in blocks)


def test_cli_reference_shows_whole_summaries_and_usage_names(site):
    from mlscaffold.cli import app

    article = page(site, "reference/cli")
    items = [li.text().strip() for li in article.iter("li")]
    assert items and not [item for item in items if item.endswith("...")]
    for info in app.registered_commands:
        summary = " ".join((info.callback.__doc__ or "").split("\n\n")[0].split())
        assert any(item.endswith(summary) for item in items), summary
    usages = [pre.text() for pre in article.iter("pre") if pre.text().startswith("$ mlscaffold")]
    assert usages and not [u for u in usages if "{" in u]
    assert "$ mlscaffold new [OPTIONS] DEST\n" in usages


def test_exit_code_table_matches_the_code():
    from mlscaffold.errors import EXIT_CHECK_FAILED, EXIT_CONFLICTS

    table = (REPO / "docs" / "reference" / "exit-codes.md").read_text()
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", table, re.M))
    assert set(rows) == {"0", "1", "2", str(EXIT_CHECK_FAILED), str(EXIT_CONFLICTS)}
    assert rows[str(EXIT_CHECK_FAILED)].startswith("`check`")
    assert rows[str(EXIT_CONFLICTS)].startswith("`update`, `add`, `remove`")


def test_every_environment_variable_the_code_reads_is_documented():
    source = "".join(p.read_text() for p in (REPO / "src" / "mlscaffold").glob("*.py"))
    read = set(re.findall(r"\"((?:MLSCAFFOLD|NO|FORCE)_[A-Z_]+|TERM)\"", source))
    page = (REPO / "docs" / "reference" / "environment.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", page, re.M))
    assert read == documented
    assert {"MLSCAFFOLD_HOOK_TIMEOUT", "NO_COLOR", "TERM"} <= read


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
