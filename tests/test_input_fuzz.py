"""Property tests over answers: whatever `-d` and `--data-file` hold, `new` exits 0, 1 or 2,
never with a traceback; a refusal is one line on stderr and writes nothing; an accepted
answer is recorded with its question's type.

Two templates: the built-in one, and a typed one built here as real templates are written
(every copier question type, choices, multiselect, validators, a file named by an answer).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE_DIR, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mlscaffold.checklists import read_toml
from mlscaffold.cli import app

TYPED = """\
_subdirectory: template
_envops:
  undefined: jinja2.StrictUndefined
text: {type: str, default: x}
count: {type: int, default: 3}
ratio: {type: float, default: 0.5}
flag: {type: bool, default: false}
config: {type: yaml, default: [1, 2]}
payload: {type: json, default: '{"a": 1}'}
colour: {type: str, choices: [red, green], default: red}
level: {type: int, choices: [1, 2, 3], default: 1}
extras: {type: str, choices: [a, b, c], multiselect: true, default: [a]}
workers:
  type: int
  default: 2
  validator: "{% if workers < 1 %}workers must be at least 1{% endif %}"
slug:
  type: str
  default: demo
  validator: "{% if not (slug | regex_search('^[a-z][a-z0-9-]*$')) %}bad slug{% endif %}"
"""
TYPED_FILES = {
    "out.txt.jinja": (
        "{{ text }} {{ count + 1 }} {{ ratio * 2 }} {{ 'yes' if flag else 'no' }}\n"
        "{{ config | to_json }} {{ payload | to_json }} {{ colour }} {{ level }}\n"
        "{{ extras | join(',') }} {{ workers }}\n"
    ),
    "{{ slug }}.md.jinja": "# {{ slug }}\n",
}
TYPES = {"count": int, "ratio": float, "flag": bool, "level": int, "extras": list, "workers": int}
TYPED_QUESTIONS = [key for key in yaml.safe_load(TYPED) if not key.startswith("_")]
BUILTIN_QUESTIONS = [
    key
    for key in yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    if not key.startswith("_")
]
# Names no question has, or that copier and Jinja use themselves.
ODD_NAMES = ["_copier_conf", "_folder_name", "_src_path", "self", "now", "unknown", "a b", "_"]

PIECES = [
    "", "0", "-1", "007", "1e309", "-0.0", "nan", "inf", "3.5", "true", "no", "Off", "null",
    "~", "[1, 2]", "{a: 1}", '{"a": 1}', "[", "{", "- a\n- b", "!!python/object:os.system",
    "&a [*a]", "{{ 7*7 }}", "{% raw %}", "}}", "\x00", "\udce9", "é", "日本", "\u202e", "a" * 300,
    "\n", "\r\n", "\t", "'", '"', "\\", "--", "=", "red", "a,b", "[a, b]", "../..", "/etc",
    ".git", "$HOME", "%s", "?", "*",
]  # fmt: skip
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(PIECES),
    st.lists(st.sampled_from(PIECES), min_size=2, max_size=4).map("".join),
    st.integers().map(str),
    st.floats().map(str),
)
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(PIECES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
# Answers a question would take, so that a fair share of the examples render a project.
ints = st.integers(-5, 10**6)
slugs = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
PLAUSIBLE = {
    "project_name": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    "package_name": st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True),
    "description": st.text(max_size=40).map(lambda text: text.replace("\n", " ")),
    "problem_type": st.sampled_from(["classification", "regression"]),
    "prediction_mode": st.sampled_from(["online", "batch", "both"]),
    "python_version": st.sampled_from(["3.10", "3.11", "3.12", "3.13"]),
    "license": st.sampled_from(["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]),
    "author_email": st.from_regex(r"[a-z.]{1,8}@[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True),
    "count": ints.map(str),
    "workers": ints.map(str),
    "ratio": st.floats(allow_nan=False).map(str),
    "flag": st.sampled_from(["true", "false", "yes", "no", "1", "0", "on"]),
    "config": st.sampled_from(["[1, 2]", "{a: 1}", "x", "3", "[]", "{a: [b, {c: d}]}"]),
    "payload": st.sampled_from(['{"a": 1}', "[1, 2]", '"x"', "3", "[]", '{"a": {"b": [null]}}']),
    "colour": st.sampled_from(["red", "green"]),
    "level": st.sampled_from(["1", "2", "3"]),
    "extras": st.sampled_from(["[a]", "[a, b]", "[]", "[c, a]", "a"]),
    "slug": slugs,
}
NATIVE = {  # the same, as --data-file holds them
    "count": ints, "workers": ints, "ratio": st.floats(allow_nan=False), "flag": st.booleans(),
    "config": yaml_values, "payload": st.sampled_from(['{"a": 1}', "[1]"]),
    "colour": st.sampled_from(["red", "green"]), "level": st.sampled_from([1, 2, 3]),
    "extras": st.lists(st.sampled_from(["a", "b", "c"]), unique=True), "slug": slugs,
    "text": st.text(max_size=20),
}  # fmt: skip
EXAMPLES = {"builtin": 200, "typed -d": 150, "typed data file": 150}  # 500 in all

pytestmark = pytest.mark.reliability("names and answers")


def pairs(questions: list[str]):
    """One to three ``-d`` answers: mostly to the template's questions, half of them
    plausible; sometimes to names no question has."""

    def answer(name: str):
        plausible = PLAUSIBLE.get(name, values)
        return st.tuples(st.just(name), st.one_of(values, plausible, plausible))

    names = st.one_of(st.sampled_from(questions), st.sampled_from(questions),
                      st.sampled_from(ODD_NAMES))  # fmt: skip
    return st.lists(names.flatmap(answer), min_size=1, max_size=3)


def data_files():
    def answer(name: str):
        plausible = NATIVE.get(name, yaml_values)
        return st.tuples(st.just(name), st.one_of(yaml_values, plausible, plausible))

    names = st.one_of(st.sampled_from(TYPED_QUESTIONS), st.sampled_from(TYPED_QUESTIONS),
                      st.sampled_from(ODD_NAMES))  # fmt: skip
    return st.lists(names.flatmap(answer), max_size=4).map(dict)


@pytest.fixture(scope="module")
def typed_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("typed-template")
    (root / "copier.yml").write_text(TYPED)
    for name, text in TYPED_FILES.items():
        (root / "template").mkdir(exist_ok=True)
        (root / "template" / name).write_text(text)
    return root


def run_new(runner, root: Path, args: list[str]):
    (root / "sentinel").mkdir()
    (root / "sentinel" / "keep.txt").write_text("keep\n")
    before = snapshot(root)
    result = runner.invoke(app, ["new", str(root / "proj"), "--defaults", "--no-git", *args])
    # CliRunner keeps an unhandled exception instead of printing its traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception),
        args,
    )
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    event(f"exit {result.exit_code}")  # shown by --hypothesis-show-statistics
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        made = {path.relative_to(root).parts[0] for path in root.rglob("*")}
        assert made <= {"sentinel", "proj", "answers.yml"}, made
        return read_toml((root / "proj" / ".mlscaffold.toml").read_text())["answers"]
    lines = result.stderr.strip().splitlines()
    if result.exit_code == 1:
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
    assert snapshot(root) == before
    return None


def data_args(chosen) -> list[str]:
    return [arg for key, value in chosen for arg in ("-d", f"{key}={value}")]


def check_types(answers: dict | None) -> None:
    if answers is None:
        return
    for key, kind in TYPES.items():
        assert isinstance(answers[key], kind), (key, answers[key])
    assert not isinstance(answers["count"], bool)


@settings(max_examples=EXAMPLES["builtin"], deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(chosen=pairs(BUILTIN_QUESTIONS))
def test_builtin_template_answers(runner, tmp_path_factory, chosen):
    run_new(runner, tmp_path_factory.mktemp("root"), data_args(chosen))


@settings(max_examples=EXAMPLES["typed -d"], deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(chosen=pairs(TYPED_QUESTIONS))
def test_typed_template_answers(runner, tmp_path_factory, typed_template, chosen):
    root = tmp_path_factory.mktemp("root")
    check_types(run_new(runner, root, ["--template", str(typed_template), *data_args(chosen)]))


@settings(max_examples=EXAMPLES["typed data file"], deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=data_files())
def test_typed_template_data_file(runner, tmp_path_factory, typed_template, data):
    root = tmp_path_factory.mktemp("root")
    (root / "answers.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    args = ["--template", str(typed_template), "--data-file", str(root / "answers.yml")]
    check_types(run_new(runner, root, args))
