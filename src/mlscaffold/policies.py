"""Who owns each generated file and what ``update`` may do to it.

A template declares rules in its ``copier.yml`` under ``_mlscaffold: files:``, a plugin
through the ``mlscaffold_file_policies`` hook; each maps a path pattern to a policy:

- ``merge`` (the default): a 3-way merge of the user's edits with the template's;
- ``seed``: written once (by ``new``, or when the plugin is added), never by ``update``;
- ``managed``: the template's version replaces the file; an update stops first if the
  user changed it, unless they ask to take the template's version;

and ``restore: true`` brings a file the user deleted back at the next update.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from mlscaffold.errors import MlscaffoldError

POLICIES = ("merge", "seed", "managed")
TEMPLATE_OWNER = "template"
TEMPLATE_KEY = "_mlscaffold"
# Where update writes the template's new version of a file git ignores and the user
# changed (a .env): beside it, as dpkg and rpm leave a configuration file's, .env.new.
BESIDE = ".new"


@dataclass(frozen=True)
class FileRule:
    policy: str = "merge"
    restore: bool = False


@dataclass(frozen=True)
class Owned:
    owner: str
    policy: str = "merge"
    restore: bool = False

    @property
    def is_default(self) -> bool:
        return (self.owner, self.policy, self.restore) == (TEMPLATE_OWNER, "merge", False)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"owner": self.owner, "policy": self.policy}
        if self.restore:
            data["restore"] = True
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Owned:
        return cls(
            owner=str(data.get("owner", TEMPLATE_OWNER)),
            policy=str(data.get("policy", "merge")),
            restore=bool(data.get("restore", False)),
        )


def check_entry(path: Any, info: Any) -> None:
    """Check one ``[files]`` entry of a state file; raises ValueError naming the problem.

    The path must name a file inside the project (``update`` writes seed files and
    restores deleted ones at these paths): relative, without ``..``, ``.`` or empty
    parts, and outside any ``.git`` folder.
    """
    # Split on both separators: on Windows a backslash separates folders too.
    parts = path.replace("\\", "/").split("/") if isinstance(path, str) else []
    if (
        not parts
        or any(part in {"", ".", "..", ".git"} for part in parts)
        or "\0" in path
        or os.path.splitdrive(path)[0]  # C:x on Windows; never on POSIX
    ):
        raise ValueError(f"files entry {path!r} is not a path inside the project")
    if not isinstance(info, Mapping):
        raise ValueError(f"files entry {path!r} is not a table")
    unknown = set(info) - {"owner", "policy", "restore"}
    if unknown:
        raise ValueError(f"files entry {path!r} has unknown keys {sorted(unknown)}")
    if not isinstance(info.get("owner", TEMPLATE_OWNER), str):
        raise ValueError(f"the owner of files entry {path!r} is not a name")
    if info.get("policy", "merge") not in POLICIES:
        raise ValueError(
            f"files entry {path!r} has policy {info.get('policy')!r}, not one of "
            f"{', '.join(POLICIES)}"
        )
    if not isinstance(info.get("restore", False), bool):
        raise ValueError(f"restore of files entry {path!r} is not true or false")


def parse_rules(raw: Any, origin: str) -> list[tuple[str, FileRule]]:
    """``{pattern: policy | {policy: ..., restore: bool}}`` as checked rules, in order."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise MlscaffoldError(
            f"{origin}: file policies must map path patterns to a policy, got {type(raw).__name__}"
        )
    rules = []
    for pattern, value in raw.items():
        spec = {"policy": value} if isinstance(value, str) else value
        if not isinstance(spec, Mapping) or set(spec) - {"policy", "restore"}:
            raise MlscaffoldError(
                f"{origin}: the rule for {pattern!r} must be a policy name or "
                "{policy: ..., restore: true}"
            )
        policy = spec.get("policy", "merge")
        if policy not in POLICIES:
            raise MlscaffoldError(
                f"{origin}: unknown policy {policy!r} for {pattern!r}: use one of "
                f"{', '.join(POLICIES)}"
            )
        restore = spec.get("restore", False)
        if not isinstance(restore, bool):
            raise MlscaffoldError(f"{origin}: restore for {pattern!r} must be true or false")
        if not isinstance(pattern, str) or not pattern or pattern.startswith("/"):
            raise MlscaffoldError(
                f"{origin}: {pattern!r} is not a path pattern relative to the project"
            )
        rules.append((pattern, FileRule(policy, restore)))
    return rules


def template_rules(config: Mapping[str, Any]) -> list[tuple[str, FileRule]]:
    """The rules a template declares in its ``copier.yml`` (read by ``template_config``)."""
    section = config.get(TEMPLATE_KEY) or {}
    if not isinstance(section, Mapping):
        raise MlscaffoldError(f"the template's {TEMPLATE_KEY} key must be a mapping")
    return parse_rules(section.get("files"), f"the template's {TEMPLATE_KEY}.files")


def template_config(template: Path) -> dict[str, Any]:
    import yaml

    for name in ("copier.yml", "copier.yaml"):
        path = template / name
        if path.is_file():
            # libyaml's loader when pyyaml has it: the pure-Python one takes 30 ms here.
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            except yaml.YAMLError:
                # copier's own tags (!include) are beyond a plain YAML reader; copier has
                # already read the file, so only mlscaffold's keys are out of sight.
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def assign(
    paths: Iterable[str],
    owners: Mapping[str, str],
    rules: Mapping[str, list[tuple[str, FileRule]]],
) -> dict[str, Owned]:
    """Each path's owner and rule: the owner's last matching pattern wins, as in
    ``.gitattributes``; ``*`` matches across folders."""
    result = {}
    for path in paths:
        owner = owners.get(path, TEMPLATE_OWNER)
        rule = FileRule()
        for pattern, candidate in rules.get(owner, []):
            if fnmatchcase(path, pattern):
                rule = candidate
        result[path] = Owned(owner, rule.policy, rule.restore)
    return result


# copier's own per-file update rules (``_skip_if_exists``, ``_exclude``) as they apply to
# mlscaffold's snapshots; see update._copier_rules.


def copier_jinja(config: Mapping[str, Any], strict: bool = True) -> Any:
    """A sandboxed Jinja environment set up as the template's ``_envops`` ask (delimiters,
    trailing newlines), with the filters copier always adds, for the few strings of its
    ``copier.yml`` that update renders itself: path patterns and tasks. Not ``strict``, a
    name it lacks renders as nothing, whatever the template asks."""
    from jinja2 import StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    envops = dict(config.get("_envops") or {})
    undefined = envops.pop("undefined", None)
    if undefined is not None and strict:
        envops["undefined"] = (
            StrictUndefined if undefined == "jinja2.StrictUndefined" else Undefined
        )
    try:
        return SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"], **envops
        )
    except TypeError as error:
        raise MlscaffoldError(f"the template's _envops are not Jinja's: {error}") from None


def copier_patterns(config: Mapping[str, Any], key: str, context: Mapping[str, Any]) -> list[str]:
    """The template's ``_skip_if_exists`` or ``_exclude`` patterns, rendered with the
    answers as copier renders them (one entry may render to several lines)."""
    raw = config.get(key) or []
    entries = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    if not entries:
        return []
    # Lenient: copier renders these with names (its settings, say) that update lacks.
    jinja = copier_jinja(config, strict=False)
    patterns = []
    for entry in entries:
        try:
            rendered = jinja.from_string(str(entry)).render(**context)
        except Exception as error:  # Jinja raises many types for a template's mistakes
            raise MlscaffoldError(
                f"the template's {key} entry {entry!r} failed to render: {error}"
            ) from None
        patterns += rendered.splitlines()
    return patterns


def copier_matcher(patterns: Iterable[str]) -> Any:
    """``match(path) -> bool`` with copier's pattern syntax (gitignore's, paths in NFD)."""
    from unicodedata import normalize

    import pathspec
    from packaging.version import Version

    # pathspec 1.0 renamed the syntax copier asks for; copier picks the name the same way.
    kind = "gitignore" if Version(pathspec.__version__) >= Version("1.0.0") else "gitwildmatch"
    spec = pathspec.PathSpec.from_lines(kind, [normalize("NFD", p) for p in patterns])
    return lambda path: spec.match_file(normalize("NFD", path))
