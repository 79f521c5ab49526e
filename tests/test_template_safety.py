"""Hostile or broken templates: each one is refused with one line, and nothing is written."""

from __future__ import annotations

import pytest
from conftest import snapshot

from mlscaffold.cli import app
from mlscaffold.sandbox import MACHINE_FILTERS

QUESTION = "project_name:\n  type: str\n  default: x\n"
BASE = "_subdirectory: template\n" + QUESTION
LOOP = "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}"

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
    # Runaway template code: stopped by the sandbox or by the render limits, with one line.
    "range of a billion items": (
        BASE, {"a.txt.jinja": "{{ range(10**9)|list }}\n"}, None,
        "failed to render at a.txt.jinja line 1: OverflowError: Range too big",
    ),
    "runaway loop": (
        BASE, {"a.txt.jinja": LOOP + "\n"}, None,
        "took more than 3 s to render: raise MLSCAFFOLD_RENDER_TIMEOUT",
    ),
    "runaway loop in a validator": (
        "_subdirectory: template\nproject_name:\n  type: str\n  default: x\n"
        f"  validator: \"{LOOP}\"\n",
        {"a.txt": "a\n"}, None, "took more than 3 s to render",
    ),
    "runaway output held in memory": (
        BASE, {"a.txt.jinja": LOOP.replace("{% endfor %}{% endfor %}",
                                           "xxxxxxxxxx{% endfor %}{% endfor %}")}, None,
        "produced more than 1000000 bytes while rendering: templates hold code and documents",
    ),
    "string repeated past the size limit": (
        BASE, {"a.txt.jinja": "{{ 'x' * 10**12 }}\n"}, None, "produced more than 1000000 bytes",
    ),
    "a power too large to compute": (
        BASE, {"a.txt.jinja": "{{ 10 ** (10 ** 10) }}\n"}, None,
        "computes 10 ** 10000000000, a number too large to render",
    ),
    "a product squared without end": (
        BASE,
        {"a.txt.jinja": "{% set ns = namespace(x=9) %}{% for i in range(64) %}"
                        "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x }}\n"}, None,
        "computes a product too large to render",
    ),
    "a filter asking for gigabytes": (
        BASE, {"a.txt.jinja": "{{ 'x'|center(10**10) }}\n"}, None, "of memory to render",
    ),
    "endless recursion": (
        BASE, {"a.txt.jinja": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n"}, None,
        "is nested too deeply to render",
    ),
    "error in template code": (
        BASE, {"a.txt.jinja": "line one\n{{ 1 / 0 }}\n"}, None,
        "failed to render at a.txt.jinja line 2: ZeroDivisionError: division by zero",
    ),
    "default of the wrong type": (
        BASE + "count:\n  type: int\n  default: many\n", {"a.txt": "a\n"}, None,
        "the default answer to 'count' does not fit its own question: it must be a whole number",
    ),
}  # fmt: skip
# Filters that read the machine rather than the template: refused without --trust, wherever
# the template uses them (a file, a file name, a default, a validator).
CASES.update({
    f"{name} filter in a file": (
        BASE, {"a.txt.jinja": f"{{{{ '$HOME/*' | {name} }}}}\n"}, None,
        f"uses the {name} filter, which {reason}: pass --trust only if you trust its author",
    )
    for name, reason in MACHINE_FILTERS.items()
})  # fmt: skip
CASES.update({
    "expandvars filter in a file name": (
        BASE, {"{{ '$HOME' | expandvars | basename }}.txt": "a\n"}, None,
        "uses the expandvars filter",
    ),
    "expandvars filter in a default": (
        BASE + "owner:\n  type: str\n  default: \"{{ '$USER' | expandvars }}\"\n",
        {"a.txt": "a\n"}, None,
        "uses the expandvars filter",
    ),
    "fileglob filter in a validator": (
        BASE + "  validator: \"{{ '/etc/*' | fileglob | first }}\"\n", {"a.txt": "a\n"}, None,
        "uses the fileglob filter",
    ),
})  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_template_is_refused_and_nothing_written(runner, tmp_path, monkeypatch, case):
    copier_yml, files, links, fragment = CASES[case]
    template = build(tmp_path, copier_yml, files, links)
    monkeypatch.setenv("MLSCAFFOLD_MAX_BYTES", str(1_000_000))
    monkeypatch.setenv("MLSCAFFOLD_RENDER_TIMEOUT", "3")
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


def test_trust_lets_the_template_read_the_machine(runner, tmp_path, monkeypatch):
    """--trust is the switch: the same template renders with it, and its tasks run with
    neither the render's time limit nor its memory cap."""
    import resource

    monkeypatch.setenv("MLSCAFFOLD_TEST_SECRET", "s3cret")
    monkeypatch.setenv("MLSCAFFOLD_RENDER_TIMEOUT", "2")
    template = build(
        tmp_path,
        BASE + "_tasks:\n  - sleep 3; ulimit -d > data-limit.txt\n",
        {"env.txt.jinja": "{{ '$MLSCAFFOLD_TEST_SECRET' | expandvars }}\n"},
    )
    args = ["new", str(tmp_path / "proj"), "--defaults", "--no-git", "--template", str(template)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "pass --trust" in refused.stderr, refused.output
    result = runner.invoke(app, [*args, "--trust"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "proj" / "env.txt").read_text() == "s3cret\n"
    soft = resource.getrlimit(resource.RLIMIT_DATA)[0]
    ours = "unlimited" if soft == resource.RLIM_INFINITY else str(soft // 1024)
    assert (tmp_path / "proj" / "data-limit.txt").read_text().strip() == ours
    assert resource.getrlimit(resource.RLIMIT_DATA)[0] == soft  # restored after the render


def test_copier_still_has_what_the_render_guards_hook_into(tmp_path):
    """render._fresh_folder_worker's guards rely on these copier and Jinja internals; a
    copier upgrade that renames one fails here, not silently in the field."""
    import functools
    import inspect

    from copier._main import Worker
    from jinja2.sandbox import SandboxedEnvironment

    assert isinstance(inspect.getattr_static(Worker, "jinja_env"), functools.cached_property)
    code = Worker._ask.__code__  # render._question_at_fault reads these two locals
    assert {"var_name", "question"} <= {*code.co_varnames, *code.co_cellvars}
    assert callable(Worker._execute_tasks)
    for name in ("intercepted_binops", "call_binop", "binop_table", "concat"):
        assert hasattr(SandboxedEnvironment(), name), name
    (tmp_path / "copier.yml").write_text(QUESTION)
    env = Worker(src_path=str(tmp_path), dst_path=tmp_path / "out", quiet=True).jinja_env
    added = set(env.filters) - set(SandboxedEnvironment().filters)
    # Every filter copier adds to Jinja's, reviewed: a new one fails this test until it is
    # judged pure or added to sandbox.MACHINE_FILTERS.
    assert added == REVIEWED_FILTERS | set(MACHINE_FILTERS)
    assert set(env.globals) - set(SandboxedEnvironment().globals) == {"pathjoin"}


REVIEWED_FILTERS = {
    "ans_groupby", "ans_random", "b64decode", "b64encode", "basename", "bool", "checksum",
    "combine", "comment", "dirname", "extract", "flatten", "from_json", "from_yaml",
    "from_yaml_all", "hash", "mandatory", "md5", "quote", "random_mac", "regex_escape",
    "regex_findall", "regex_replace", "regex_search", "sha1", "shuffle", "splitext",
    "strftime", "subelements", "ternary", "to_datetime", "to_json", "to_nice_json",
    "to_nice_yaml", "to_uuid", "to_yaml", "type_debug", "win_basename", "win_dirname",
    "win_splitdrive",
}  # fmt: skip


def test_plugin_questions_read_the_machine_only_with_trust(runner, tmp_path, register_plugin):
    from mlscaffold import hookimpl

    class Acme:
        @hookimpl
        def mlscaffold_questions(self):
            return {"acme_home": {"type": "str", "default": "{{ '$HOME' | expandvars }}"}}

    register_plugin(Acme(), "acme")
    args = ["new", str(tmp_path / "proj"), "--defaults", "--no-git", "--plugin", "acme"]
    before = snapshot(tmp_path)
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.strip() == (
        "Error: plugin questions uses the expandvars filter, which reads environment "
        "variables: pass --trust only if you trust its author"
    )
    assert snapshot(tmp_path) == before
    result = runner.invoke(app, [*args, "--trust"])
    assert result.exit_code == 0, result.output
