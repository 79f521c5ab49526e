"""Hostile or broken templates: each one is refused with one line, and nothing is written."""

from __future__ import annotations

import pytest
from conftest import snapshot

from mlscaffold.cli import app

QUESTION = "project_name:\n  type: str\n  default: x\n"
BASE = "_subdirectory: template\n" + QUESTION

pytestmark = pytest.mark.reliability("hostile templates")


def build(tmp_path, copier_yml: str, files: dict[str, str | bytes], links=None):
    root = tmp_path / "hostile"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(copier_yml)
    for name, content in files.items():
        path = root / "template" / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    for name, target in (links or {}).items():
        (root / "template" / name).symlink_to(target)
    return root


CASES = {
    "symlink to a file outside the template": (
        BASE, {"a.txt": "a\n"}, {"passwd": "/etc/passwd"}, "a path outside the template",
    ),
    "_subdirectory escaping the template": (
        "_subdirectory: ../..\n" + QUESTION, {"a.txt": "a\n"}, None, "a path outside the template",
    ),
    "_external_data escaping the template": (
        BASE + "_external_data:\n  secret: ../../../../../etc/hostname\n",
        {"s.txt.jinja": "{{ _external_data.secret }}\n"}, None, "a path outside the template",
    ),
    "Jinja sandbox escape": (
        BASE, {"s.txt.jinja": "{{ ''.__class__.__mro__[1].__subclasses__() }}\n"}, None,
        "is unsafe",
    ),
    "undefined variable": (
        BASE + "_envops:\n  undefined: jinja2.StrictUndefined\n",
        {"s.txt.jinja": "{{ no_such_answer }}\n"}, None, "'no_such_answer' is undefined",
    ),
    "non-UTF-8 template file": (
        BASE, {"latin.txt.jinja": b"caf\xe9 {{ project_name }}\n"}, None, "is not UTF-8 text",
    ),
    "tasks without --trust": (
        BASE + "_tasks:\n  - touch pwned\n", {"a.txt": "a\n"}, None,
        "uses unsafe features (tasks): pass --trust",
    ),
    "Jinja extensions without --trust": (
        BASE + "_jinja_extensions:\n  - jinja2.ext.do\n", {"a.txt": "a\n"}, None,
        "uses unsafe features (jinja_extensions)",
    ),
    "huge output": (BASE, {"big.bin": b"x" * 2_000_000}, None, "the template produced more than"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_template_is_refused_and_nothing_written(runner, tmp_path, monkeypatch, case):
    copier_yml, files, links, fragment = CASES[case]
    template = build(tmp_path, copier_yml, files, links)
    monkeypatch.setenv("MLSCAFFOLD_MAX_BYTES", str(1_000_000))
    area = tmp_path / "area"
    area.mkdir()
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["new", str(area / "proj"), "--defaults", "--template", str(template)]
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "pwned").exists()
