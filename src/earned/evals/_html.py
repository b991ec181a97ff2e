"""The HTML report: gates, unmet gates in words, and each failing case with its trace."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from earned.evals._gates import minimum_words, percent
from earned.evals._report import EvalReport, _when

__all__ = ["render_html", "write_html"]

#: Span attributes shown in the trace table, in this order.
_SHOWN = (
    "tool",
    "arguments",
    "rule_id",
    "reason",
    "output",
    "confidence",
    "amount",
    "section",
    "model",
    "error_type",
)


def _details(span: dict[str, Any]) -> str:
    attrs = span.get("attributes") or {}
    shown = {k: attrs[k] for k in _SHOWN if attrs.get(k) not in (None, "", [], {})}
    return json.dumps(shown, sort_keys=False, default=str)[:600] if shown else ""


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def render_html(reports: Sequence[EvalReport]) -> str:
    """One HTML document for the reports (needs the jinja2 package)."""
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 is a core dependency
        from earned.errors import UserError

        raise UserError(
            "the HTML report needs jinja2, which is not installed; run: pip install jinja2",
            missing="jinja2",
        ) from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("earned.evals", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        reports=list(reports),
        when=_when,
        percent=percent,
        minimum=minimum_words,
        pretty=_pretty,
        details=_details,
    )


def write_html(reports: Sequence[EvalReport], path: str | Path) -> Path:
    """Write the HTML report to `path` (parent directories are created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(reports), encoding="utf-8")
    return target
