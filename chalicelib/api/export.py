"""GET /export/decisions: the decision log of a window as CSV, for a lead or an auditor.

The same query as GET /decisions (decisions/history.py: channel, window, kinds, decisions,
a page of `limit`, `cursor`), answered as `text/csv`: one row per item, a column per field
the page's items have (nested values as JSON); `kind=incident,stop` is the audit trail.
The next page's cursor is in the `X-Next-Cursor` header (none: the window is done). A
value that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) is written with a leading apostrophe: notes and names are users' text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalice import Response

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import query_params
from chalicelib.decisions.history import PARAMS, HistoryQuery, list_decisions

export = ApiBlueprint(__name__)

FIRST = ("at", "kind", "channelArn", "channelName", "decision", "action", "incidentId")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@export.route("/export/decisions", methods=["GET", "OPTIONS"])
def export_decisions():
    signed_in(export)
    params = query_params(export.current_request, PARAMS)
    query = HistoryQuery.from_params(params, dependencies.now())
    page = list_decisions(query, dependencies.decision_store(), presign=lambda key: {})
    headers = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="decisions.csv"',
    }
    if page["nextCursor"]:
        headers["X-Next-Cursor"] = page["nextCursor"]
    return Response(body=as_csv(page["items"]), status_code=200, headers=headers)


def as_csv(items: list[Mapping[str, Any]]) -> str:
    names = {name for item in items for name in item}
    columns = [n for n in FIRST if n in names] + sorted(names - set(FIRST))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([cell(item.get(name)) for name in columns])
    return out.getvalue()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return f"'{text}" if text.startswith(FORMULA) else text
