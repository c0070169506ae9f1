"""The dashboard's drill-down links, built in one pass, are the URLs the filters ask for."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from followthrough.web.insights.views import _DrillLinks


@pytest.mark.parametrize(
    "base",
    [
        {},
        {"period": "month", "from": "2026-01-01"},
        {"team": "3", "period": "week"},  # a team filter is replaced by the link's team
        {"q": "a&b=c d"},  # a value that needs escaping stays one value
    ],
)
def test_a_drill_link_carries_the_filters_and_its_own_metric_period_and_team(
    base: dict[str, str],
) -> None:
    links = _DrillLinks(base)
    url = links("mttr", "2026-03-01", team=7)
    parts = urlsplit(url)
    assert parts.path == "/insights/drill/"
    assert dict(parse_qsl(parts.query)) == {
        **base,
        "metric": "mttr",
        "start": "2026-03-01",
        "team": "7",
    }
    assert dict(parse_qsl(urlsplit(links("mttr")).query)) == {**base, "metric": "mttr"}
