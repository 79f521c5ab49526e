"""Reports for people: figures, self-contained HTML pages, tables, amounts of money, and
blocks of Markdown a person asks to have filled in."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: reports render in CI and on servers too

import matplotlib.pyplot as plt  # noqa: E402


def save_figure(figure: plt.Figure, path: Path) -> str:
    """Write ``figure`` as PNG to ``path`` and return it base64-encoded for HTML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    path.write_bytes(buffer.getvalue())
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def table(rows: Iterable[dict], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def image(encoded: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def write_html(path: Path, title: str, sections: list[tuple[str, str]]) -> None:
    """One self-contained page: inline styles and images, nothing to fetch."""
    parts = [f"<h2>{html.escape(heading)}</h2>\n{content}" for heading, content in sections]
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "</body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def fill_block(path: Path, name: str, content: str) -> bool:
    """Replace the text between ``<!-- BEGIN GENERATED: name -->`` and its END marker.

    For commands a person runs to fill a document on purpose (plugins use it); the pipeline
    (`make all`) never calls it, so it never rewrites a tracked file. Returns False, changing
    nothing, when the document has no such block (the team may have removed it on purpose).
    """
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        return False
    before, rest = text.split(begin, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{begin}\n{content.strip()}\n{end}{after}", encoding="utf-8")
    return True


def money(value: float, cfg: dict) -> str:
    """An amount as a person reads it: ``16,540 EUR``, ``-1,250.50 USD``."""
    decimals = int(cfg.get("decimals", 0))
    amount = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and float(amount.replace(",", "")) != 0 else ""
    return f"{sign}{amount} {cfg['currency']}"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
