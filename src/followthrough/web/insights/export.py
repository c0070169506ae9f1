"""One report, three shapes: the JSON the API and the export return, and CSV rows.

The page, the API and both exports are made from the same :class:`Report`, so they cannot
disagree."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.http import HttpResponse

from followthrough.core.effectiveness import METRICS, Counts, Series
from followthrough.web.insights.queries import Report, Scope, report

COUNT_FIELDS = (
    "incidents",
    "repeats",
    "required",
    "required_closed",
    "postmortems",
    "closed",
    "actions",
    "actions_deprioritised",
    "actions_done",
    "actions_done_dated",
    "actions_done_on_time",
    "actions_open",
    "escalations",
)


def _value(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def counts_dict(c: Counts) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(c, name) for name in COUNT_FIELDS}
    out["close_hours_total"] = round(c.close_hours, 2)
    out["closed_with_times"] = c.close_timed
    out["open_age_days_total"] = round(c.open_age_days, 2)
    out["milestones"] = {key: asdict(m) for key, m in sorted(c.milestones.items())}
    return out


def _series(s: Series) -> dict[str, Any]:
    return {
        "team_id": s.team_id,
        "name": s.name,
        "total": {
            "values": {k: _value(v) for k, v in s.total_values.items()},
            "counts": counts_dict(s.total),
        },
        "periods": [
            {
                "start": p.start.isoformat(),
                "label": p.label,
                "values": {k: _value(v) for k, v in p.values.items()},
                "counts": counts_dict(p.counts),
            }
            for p in s.periods
        ],
    }


def report_dict(report: Report) -> dict[str, Any]:
    s = report.scope
    return {
        "period": s.period.value,
        "from": s.first.isoformat(),
        "to": (s.end - timedelta(days=1)).isoformat(),
        "team_id": s.team.pk if s.team else None,
        "generated_at": report.generated_at.isoformat(),
        "metrics": [
            {"key": m.key, "label": m.label, "unit": m.unit, "description": m.description}
            for m in METRICS
        ],
        "organisation": _series(report.organisation),
        "teams": [_series(t) for t in report.teams],
    }


def report_csv(report: Report) -> str:
    """One row per (organisation or team, period), metrics then counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["scope", "team_id", "period", "period_start"]
        + [m.key for m in METRICS]
        + list(COUNT_FIELDS)
    )
    for series in [report.organisation, *report.teams]:
        scope = "organisation" if series.team_id is None else series.name
        for p in series.periods:
            writer.writerow(
                [scope, series.team_id or "", p.label, p.start.isoformat()]
                + [
                    "" if p.values[m.key] is None else round(p.values[m.key] or 0.0, 4)
                    for m in METRICS
                ]
                + [
                    "" if getattr(p.counts, f) is None else getattr(p.counts, f)
                    for f in COUNT_FIELDS
                ]
            )
    return buffer.getvalue()


def csv_download(scope: Scope) -> HttpResponse:
    """The report of ``scope`` as a CSV file download (the dashboard's export and the API's)."""
    response = HttpResponse(report_csv(report(scope)), content_type="text/csv; charset=utf-8")
    name = f"followthrough-insights-{scope.period.value}-{scope.first}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
