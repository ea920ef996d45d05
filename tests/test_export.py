"""GET /export/decisions: the decision log of a window as CSV, page by page, formulas inert."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from history_items import WINDOW, seed_history
from tokens import role_token, signed_in

from chalicelib.api.export import as_csv

pytestmark = pytest.mark.usefixtures("jwks")


def export(client, **params):
    # the audit trail's export is an admin's (chalicelib/api/roles.py)
    headers = signed_in(role_token("admin"))
    return client.http.get(f"/export/decisions?{urlencode(params)}", headers=headers)


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.body.decode())))


def test_GIVEN_a_window_THEN_its_decisions_as_csv(client):
    seed_history()

    response = export(client, **WINDOW)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    found = rows(response)
    assert {r["kind"] for r in found} >= {"frame", "stop"}
    assert list(found[0])[:3] == ["at", "kind", "channelArn"]
    assert "X-Next-Cursor" not in response.headers


def test_GIVEN_the_audit_kinds_THEN_only_the_trail_and_more_pages_by_cursor(client):
    seed_history()

    first = export(client, **WINDOW, kind="frame", limit="2")
    cursor = first.headers["X-Next-Cursor"]
    rest = export(client, cursor=cursor, limit="10")
    audit = export(client, **WINDOW, kind="stop")

    assert len(rows(first)) == 2 and rows(rest)
    assert {r["decisionId"] for r in rows(first)}.isdisjoint(r["decisionId"] for r in rows(rest))
    assert [(r["kind"], r["reason"]) for r in rows(audit)] == [("stop", "Weapon")]


def test_values_a_spreadsheet_would_run_are_written_inert():
    text = as_csv([{"at": "x", "reason": '=HYPERLINK("http://evil")', "n": -3, "ok": True}])

    [row] = csv.DictReader(io.StringIO(text))

    assert row["reason"] == '\'=HYPERLINK("http://evil")'
    assert (row["n"], row["ok"]) == ("-3", "true")  # numbers are not text to escape


def test_a_bad_parameter_is_a_400(client):
    assert export(client, kind="nonsense").status_code == 400
    assert client.http.get("/export/decisions").status_code == 401
