"""Benchmarks: mlscaffold against copier, as whole commands, interleaved, in one run.

    python benchmarks/run.py              # full run, writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick      # smallest sizes, one run each (used by a test)

Each figure is the median of several runs after a warm-up, with min-max and the peak memory
of the process; mlscaffold figures are also given as a ratio to their copier counterpart
measured in the same run, alternating the two commands so that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

BIN = Path(sys.executable).parent
MLSCAFFOLD, COPIER = str(BIN / "mlscaffold"), str(BIN / "copier")
REPO = Path(__file__).resolve().parents[1]
# A fixed git identity for the commits both tools make, every installed plugin loadable, and
# bytecode cached as pip caches it for an installed package (an editable mlscaffold would
# otherwise be compiled from source on every run under PYTHONDONTWRITEBYTECODE, copier not).
ENV = {
    **{
        k: v
        for k, v in os.environ.items()
        if k not in ("MLSCAFFOLD_LOAD_PLUGINS", "PYTHONDONTWRITEBYTECODE")
    },
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time in seconds and peak resident memory in MiB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 4):  # 4: update left conflicts, by design
        raise SystemExit(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    return elapsed, usage.ru_maxrss // 1024


def measure(cases: dict[str, Callable[[], tuple]], runs: int) -> dict[str, dict]:
    """Run every case ``runs`` times after a warm-up, alternating cases run by run, in
    the opposite order every other round, so that no case always runs first.

    A case makes ``(command, cwd, cleanup)`` or ``(command, cwd, cleanup, env)``. Each result
    keeps its per-round times, so that two cases can be compared round by round (``paired``).
    """
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for round_ in range(runs + 1):
        order = list(cases.items())
        for name, make in order[::-1] if round_ % 2 else order:
            command, cwd, cleanup, *env = make()
            result = timed(command, cwd, *env)
            cleanup()
            if round_:  # the first round warms caches and is not counted
                samples[name].append(result)
    return {
        name: {
            "median": statistics.median(t for t, _ in values),
            "min": min(t for t, _ in values),
            "max": max(t for t, _ in values),
            "rss": max(m for _, m in values),
            "times": [t for t, _ in values],
        }
        for name, values in samples.items()
    }


def paired(ours: dict, theirs: dict, compare: Callable[[float, float], float]) -> float:
    """The median, over rounds, of ``compare(ours, theirs)`` for runs made side by side:
    a machine that slows down for a while slows both runs of a round alike."""
    rounds = zip(ours["times"], theirs["times"], strict=True)
    return statistics.median(compare(a, b) for a, b in rounds)


def synthetic_template(root: Path, files: int, version_tag: str | None = None) -> Path:
    """A copier template of ``files`` small rendered files (and an answers file for copier)."""
    (root / "template" / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text(
        "_subdirectory: template\nproject_name:\n  type: str\n  default: bench\n"
    )
    answers = "{{ _copier_conf.answers_file }}.jinja"
    (root / "template" / answers).write_text("{{ _copier_answers|to_nice_yaml }}\n")
    for i in range(files):
        text = f"# file {i} of {{{{ project_name }}}} {version_tag or 'v1'}\n" + "line\n" * 20
        (root / "template" / "pkg" / f"module_{i}.py.jinja").write_text(text)
    return root


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def tagged_template(root: Path, files: int) -> Path:
    synthetic_template(root, files, "v1")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    git(root, "tag", "v1.0.0")
    synthetic_template(root, files, "v2")  # every file changes
    (root / "template" / "pkg" / "module_0.py.jinja").unlink()  # one removed
    (root / "template" / "added.txt").write_text("new in v2\n")  # one added
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v2")
    git(root, "tag", "v2.0.0")
    return root


def trivial_plugins(root: Path, count: int) -> dict[str, str]:
    """``count`` installed-looking plugins: modules plus dist-info entry points on PYTHONPATH."""
    for i in range(count):
        (root / f"bench_plugin_{i}.py").write_text(
            "from mlscaffold import hookimpl\n\n\n@hookimpl\n"
            "def mlscaffold_checklist_items(stage):\n"
            f"    return [dict(id='bench{i}.data.x', stage='data', title='x')]"
            " if stage == 'data' else []\n"
        )
        dist = root / f"bench_plugin_{i}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: bench-plugin-{i}\nVersion: 0.1\n"
        )
        (dist / "entry_points.txt").write_text(f"[mlscaffold]\nbench{i} = bench_plugin_{i}\n")
    return {**ENV, "PYTHONPATH": str(root)}


def run_benchmarks(quick: bool, runs: int) -> list[tuple[str, str, dict, dict | None]]:
    rows = []
    work = Path(tempfile.mkdtemp(prefix="mlscaffold-bench-"))
    counter = iter(range(10**6))
    try:

        def fresh() -> Path:
            return work / f"out-{next(counter)}"

        # 1. start-up
        startup = measure(
            {
                "python": lambda: ([sys.executable, "-c", "pass"], work, lambda: None),
                "copier": lambda: ([COPIER, "--help"], work, lambda: None),
                "mlscaffold": lambda: ([MLSCAFFOLD, "--help"], work, lambda: None),
            },
            runs,
        )
        rows.append(("start-up", "`--help`", startup["mlscaffold"], startup["copier"]))
        rows.append(("start-up", "`python -c pass`", startup["python"], None))

        # 2. create, built-in template and a 40-file template
        builtin = str(REPO / "templates" / "project")
        for label, template in [
            ("built-in template", builtin),
            ("40-file template", str(synthetic_template(work / "t40", 40))),
        ]:
            create = measure(
                {
                    "copier": lambda t=template: _copy(t, fresh()),
                    "mlscaffold": lambda t=template: _new(t, fresh()),
                },
                runs,
            )
            rows.append(("create", label, create["mlscaffold"], create["copier"]))
        every = maintained_plugins()
        if every:
            chosen = [arg for name in every for arg in ("--plugin", name)]
            create = measure(
                {
                    "copier": lambda: _copy(builtin, fresh()),
                    "mlscaffold": lambda: _new(builtin, fresh(), chosen),
                },
                runs,
            )
            label = f"built-in template + {len(every)} plugins ({', '.join(every)})"
            rows.append(("create", label, create["mlscaffold"], create["copier"]))

        # 3. update v1 -> v2 of a 40-file git template, with user edits
        template = tagged_template(work / "tagged", 10 if quick else 40)
        projects = {"copier": work / "u-copier", "mlscaffold": work / "u-mlscaffold"}
        subprocess.run(
            [
                COPIER,
                "copy",
                "--defaults",
                "--quiet",
                "-r",
                "v1.0.0",
                str(template),
                str(projects["copier"]),
            ],
            env=ENV,
            check=True,
        )
        git(projects["copier"], "init", "-q", "-b", "main")
        subprocess.run(
            [
                MLSCAFFOLD,
                "-q",
                "new",
                str(projects["mlscaffold"]),
                "--defaults",
                "--template",
                str(template),
                "--vcs-ref",
                "v1.0.0",
            ],
            env=ENV,
            check=True,
        )
        for project in projects.values():
            for i in (1, 2, 3):
                path = project / "pkg" / f"module_{i}.py"
                path.write_text(path.read_text() + "# a user edit\n")
            git(project, "add", "-A")
            git(project, "commit", "-qm", "user edits")

        def undo(project: Path) -> Callable[[], None]:
            def clean() -> None:
                subprocess.run(["git", "merge", "--abort"], cwd=project, capture_output=True)
                git(project, "reset", "-q", "--hard", "HEAD")
                git(project, "clean", "-qfdx")

            return clean

        update = measure(
            {
                "copier": lambda: (
                    [
                        COPIER,
                        "update",
                        "--defaults",
                        "--quiet",
                        "-r",
                        "v2.0.0",
                        "--conflict",
                        "inline",
                    ],
                    projects["copier"],
                    undo(projects["copier"]),
                ),
                "mlscaffold": lambda: (
                    [MLSCAFFOLD, "-q", "update", "--defaults", "--vcs-ref", "v2.0.0"],
                    projects["mlscaffold"],
                    undo(projects["mlscaffold"]),
                ),
            },
            runs,
        )
        rows.append(("update", "v1 → v2, 3 edited files", update["mlscaffold"], update["copier"]))

        # 4. scale: files and plugins
        # Sizes interleaved too, so the growth from 400 to 2,000 files is compared run by run.
        sizes = [40] if quick else [40, 400, 2000]
        templates, projects = {}, {}
        for files in sizes:
            templates[files] = str(synthetic_template(work / f"s{files}", files))
            tagged = tagged_template(work / f"tagged-{files}", files)
            projects[files] = work / f"scaled-{files}"
            _run([MLSCAFFOLD, "-q", "new", str(projects[files]), "--defaults", "--template",
                  str(tagged), "--vcs-ref", "v1.0.0"])  # fmt: skip
        created = measure({n: lambda t=templates[n]: _new(t, fresh()) for n in sizes}, runs)
        updated = measure(
            {n: lambda p=projects[n]: (
                [MLSCAFFOLD, "-q", "update", "--defaults", "--vcs-ref", "v2.0.0"], p, undo(p)
            ) for n in sizes},
            runs,
        )  # fmt: skip
        for files in sizes:
            rows.append(("scale", f"new, {files} files", created[files], None))
            rows.append(("scale", f"update, {files} files", updated[files], None))
        counts = [0, 5] if quick else [0, 5, 20]
        envs = {}
        for count in counts:
            (work / f"plugins-{count}").mkdir()
            envs[count] = trivial_plugins(work / f"plugins-{count}", count)

        def with_plugins(count: int):
            target = fresh()
            names = [arg for i in range(count) for arg in ("--plugin", f"bench{i}")]
            command = [MLSCAFFOLD, "-q", "new", str(target), "--defaults", "--no-git", *names]
            return command, work, lambda: shutil.rmtree(target, ignore_errors=True), envs[count]

        # Three times the rounds: the difference sought (0.1 s) is within one run's noise.
        loaded = measure({count: lambda c=count: with_plugins(c) for count in counts}, runs * 3)
        for count in counts:
            rows.append(("scale", f"new, built-in template, {count} plugins", loaded[count], None))

        # 5. status on a generated project
        project = fresh()
        _run([MLSCAFFOLD, "-q", "new", str(project), "--defaults"])
        status = measure(
            {"mlscaffold": lambda: ([MLSCAFFOLD, "status", str(project)], work, lambda: None)}, runs
        )
        rows.append(("status", "generated project", status["mlscaffold"], None))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def maintained_plugins() -> list[str]:
    """The plugins of this repository's plugins/ folder that are installed here."""
    listed = subprocess.run(
        [MLSCAFFOLD, "plugins", "--json"], env=ENV, check=True, capture_output=True, text=True
    )
    installed = {p["distribution"]: p["name"] for p in json.loads(listed.stdout)["plugins"]}
    folders = sorted(path.name for path in (REPO / "plugins").iterdir())
    return [installed[name] for name in folders if name in installed]


def _run(command: list[str]) -> None:
    subprocess.run(command, env=ENV, check=True, capture_output=True)


def _copy(template: str, target: Path):
    command = [
        COPIER,
        "copy",
        "--defaults",
        "--quiet",
        "-d",
        f"project_name={target.name}",
        template,
        str(target),
    ]
    return command, target.parent, lambda: shutil.rmtree(target, ignore_errors=True)


def _new(template: str, target: Path, extra: list[str] | None = None):
    command = [
        MLSCAFFOLD,
        "-q",
        "new",
        str(target),
        "--defaults",
        "--template",
        template,
        *(extra or []),
    ]
    return command, target.parent, lambda: shutil.rmtree(target, ignore_errors=True)


def markdown(rows, runs: int) -> str:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.processor() or 'cpu'}"
    lines = [
        "# Benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine}; Python {platform.python_version()},"
        f" mlscaffold {version('ml-lifecycle-scaffold')}, copier {version('copier')};"
        f" median of {runs} "
        "run(s) after a warm-up, alternating mlscaffold and copier. The ratio is the median of "
        "the ratios of the runs made side by side.",
        "",
        "| scenario | case | mlscaffold (s) | min-max | peak MiB | copier (s) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario, case, ours, theirs in rows:
        ratio = f"{paired(ours, theirs, operator.truediv):.2f}" if theirs else ""
        copier = f"{theirs['median']:.3f}" if theirs else ""
        lines.append(
            f"| {scenario} | {case} | {ours['median']:.3f} | {ours['min']:.3f}-"
            f"{ours['max']:.3f} | {ours['rss']} | {copier} | {ratio} |"
        )
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'yes' if met else '**no**'} |"
              for target, measured, met in targets(rows)]  # fmt: skip
    return "\n".join(lines) + "\n"


def targets(rows) -> list[tuple[str, str, bool]]:
    """Each target of the benchmark issue, checked against the figures of this run."""
    by_case = {case: (ours, theirs) for _, case, ours, theirs in rows}
    limits = {"start-up": 0.35, "create": 1.1, "update": 0.5}
    found = []
    for scenario, case, ours, theirs in rows:
        if theirs is None or scenario not in limits:
            continue
        limit = limits[scenario]
        ratio = paired(ours, theirs, operator.truediv)
        found.append((f"{case}: ≤ {limit}x copier", f"{ratio:.2f}x", ratio <= limit))
    counts = sorted(int(c.split(", ")[-1].split()[0]) for c in by_case if c.endswith(" plugins"))
    none, most = (by_case[f"new, built-in template, {n} plugins"][0] for n in (0, counts[-1]))
    added = paired(most, none, operator.sub)
    found.append((f"{counts[-1]} plugins add ≤ 0.1 s to `new`", f"{added:+.3f} s", added <= 0.1))
    status = by_case["generated project"][0]["median"]
    found.append(("`status` ≤ 0.2 s", f"{status:.3f} s", status <= 0.2))
    for command in ("new", "update"):
        if f"{command}, 2000 files" in by_case:
            large, small = (by_case[f"{command}, {n} files"][0] for n in (2000, 400))
            growth = paired(large, small, operator.truediv)
            found.append((f"{command} of 2,000 files ≤ 5x 400 files", f"{growth:.1f}x",
                          growth <= 5))  # fmt: skip
            found.append((f"{command} of 2,000 files: peak memory < 150 MiB",
                          f"{large['rss']} MiB", large["rss"] < 150))  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smallest sizes, one run each")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    args.out.write_text(markdown(run_benchmarks(args.quick, runs), runs))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
