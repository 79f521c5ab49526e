"""What a template's code may do while copier renders it.

Jinja's sandbox keeps templates away from Python's internals and refuses ranges over
100,000 items; it leaves time, memory, output size and arithmetic unbounded, and copier
adds filters that read the machine. ``render`` runs every copier render within these
bounds (``Limits``) in a Jinja environment ``guard`` has prepared; what a template does
past them stops the render with ``Refused``, which ``render`` reports in one line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Any

MAX_BYTES_ENV = "MLSCAFFOLD_MAX_BYTES"
MAX_BYTES = 256 * 2**20
RENDER_TIMEOUT_ENV = "MLSCAFFOLD_RENDER_TIMEOUT"
RENDER_TIMEOUT = 120.0  # seconds for one copier run; the built-in template takes 0.2 s
# The largest integer a template may compute: ample for any arithmetic a project needs,
# far below one that takes minutes to compute, 10 ** (10 ** 10), which no timer interrupts.
MAX_INT_BITS = 2**16

# Filters copier's Jinja environment has (from jinja2-ansible-filters) whose result depends
# on the machine rather than on the template and the answers: what they read may be
# private, and it would differ on every machine.
MACHINE_FILTERS = {
    "expandvars": "reads environment variables",
    "expanduser": "reads the home folder",
    "fileglob": "lists files on this machine",
    "realpath": "reads the file system",
    "relpath": "reads the current folder",
}


def suspended(worker: Any) -> Any:
    """The limits ``render`` gave copier's ``worker`` (its ``_limits``), lifted while the
    worker does what they must not bound: wait for answers, run trusted tasks."""
    limits = worker.__dict__.get("_limits")
    return limits.suspended() if limits else contextlib.nullcontext()


class Refused(BaseException):
    """Stops a render from inside copier. A BaseException, as KeyboardInterrupt is: copier
    and Jinja catch Exception in places (a failing validator becomes a message), and this
    must reach ``render`` as it is."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail  # what follows "template X" in the message


def max_bytes() -> int:
    return int(os.environ.get(MAX_BYTES_ENV) or MAX_BYTES)


def guard(env: Any, trusted: bool) -> None:
    """Bound what template code can compute, and hold back the machine-reading filters.

    Jinja's sandbox already refuses unsafe attributes and ranges over 100,000 items; it
    leaves output size and arithmetic unbounded. ``concat`` joins each rendered template's
    pieces (so output is counted as it is produced, before it is held whole in memory);
    ``intercepted_binops`` and ``call_binop`` are the sandbox's documented way to check
    operators, also consulted when Jinja folds constants at compile time.
    """
    limit = max_bytes()
    produced = 0

    def concat(pieces: Any) -> str:
        nonlocal produced
        kept = []
        for piece in pieces:
            produced += len(piece)
            if produced > limit:
                raise Refused(_too_large(limit))
            kept.append(piece)
        return "".join(kept)

    def call_binop(context: Any, operator: str, left: Any, right: Any) -> Any:
        ints = all(isinstance(x, int) for x in (left, right))
        if operator == "**" and ints and right > 0 and abs(left) > 1:
            if right * abs(left).bit_length() > MAX_INT_BITS:
                raise Refused(f"computes {left} ** {right}, a number too large to render")
        elif operator == "*" and ints:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise Refused("computes a product too large to render")
        elif operator == "*":
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            repeats = isinstance(times, int) and isinstance(sequence, (str, bytes, list, tuple))
            if repeats and len(sequence) * times > limit:
                raise Refused(_too_large(limit))
        return env.binop_table[operator](left, right)

    env.concat = concat
    env.intercepted_binops = env.intercepted_binops | {"*", "**"}
    env.call_binop = call_binop
    if trusted:
        return
    for name in list(env.filters):
        reason = MACHINE_FILTERS.get(name.removeprefix("ans_"))  # the extension's renames
        if reason:
            env.filters[name] = _refusing(name, reason)


def _refusing(name: str, reason: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Refused(
            f"uses the {name} filter, which {reason}: pass --trust only if you trust its author"
        )

    return refuse


def size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"


def _too_large(limit: int) -> str:
    return (
        f"produced more than {size(limit)} while rendering: templates hold code and "
        f"documents, not data; raise {MAX_BYTES_ENV} if this is intended"
    )


class Limits:
    """The time and memory one copier run may take.

    Time: a SIGALRM timer, whose handler raises in the main thread between two Python
    steps, so a runaway loop in a template stops. Without SIGALRM (Windows) or off the
    main thread, there is no time limit. Memory: the data segment's soft limit
    (RLIMIT_DATA, enforced by Linux for every allocation) is set to what the process uses
    plus ``headroom``, so a template asking for gigabytes gets a MemoryError, not the
    machine's memory. Both are restored afterwards; ``suspended`` lifts them meanwhile.
    """

    def __init__(self) -> None:
        self.seconds = float(os.environ.get(RENDER_TIMEOUT_ENV) or RENDER_TIMEOUT)
        # Output is held in memory up to MAX_BYTES, as text and as encoded bytes.
        self.headroom = 4 * max_bytes() + 2**30
        self._remaining = self.seconds
        self._started = 0.0
        self._armed = False
        self._previous_handler: Any = None
        self._previous_data: tuple[int, int] | None = None

    def __enter__(self) -> Limits:
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    @contextlib.contextmanager
    def suspended(self) -> Any:
        self._stop()
        try:
            yield
        finally:
            self._start()

    def _timed(self) -> bool:
        main = threading.current_thread() is threading.main_thread()
        return main and hasattr(signal, "setitimer")

    def _start(self) -> None:
        if self._timed():
            seconds = self.seconds

            def stop(signum: int, frame: Any) -> None:
                raise Refused(
                    f"took more than {seconds:g} s to render: raise {RENDER_TIMEOUT_ENV} "
                    "if it is that slow on purpose"
                )

            self._previous_handler = signal.signal(signal.SIGALRM, stop)
            self._armed = True
            self._started = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, max(self._remaining, 0.001))
        self._previous_data = _limit_memory(self.headroom)

    def _stop(self) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous_handler)
            self._armed = False
            self._remaining -= time.monotonic() - self._started
        if self._previous_data is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_DATA, self._previous_data)
            self._previous_data = None


def _limit_memory(headroom: int) -> tuple[int, int] | None:
    """Cap the data segment at its current size plus ``headroom``; returns the limits to
    restore, or None where that cannot be done (no /proc, no resource module)."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            used = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmData:"))  # fmt: skip
    except (ImportError, OSError, StopIteration, ValueError):
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = used + headroom
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        return None  # already as strict: keep it
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
    return soft, hard
