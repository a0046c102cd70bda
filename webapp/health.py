"""/healthz: whether this web node can serve, for a load balancer or a monitoring check.

200 with a JSON body when the record store answers, the union index opens, and the last
nightly run finished no longer ago than [nightly] max_age_hours; 503 with the same body and
its `reasons` otherwise. A failed nightly (a library's server was down) does not make the node
unhealthy: it still serves yesterday's catalogue; its outcome is in the body for the monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from libnet.errors import one_line
from libnet.store import nightly_runs
from webapp.state import catalogue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    reasons: list[str] = []
    body: dict[str, Any] = {"store": _store(reasons), "index": _index(reasons)}
    body["nightly"] = _nightly(reasons) if body["store"]["ok"] else {"ok": False}
    body = {"status": "failing" if reasons else "ok", "reasons": reasons, **body}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if reasons else 200


def _store(reasons: list[str]) -> dict[str, Any]:
    try:
        with catalogue().store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # whatever the database says, the node cannot serve loans
        reasons.append(f"the record store does not answer: {one_line(exc)}")
        return {"ok": False}
    return {"ok": True}


def _index(reasons: list[str]) -> dict[str, Any]:
    try:
        clusters = catalogue().index.count()
    except Exception as exc:  # NoIndex, or a damaged index folder
        reasons.append(f"the union index does not open: {one_line(exc)}")
        return {"ok": False}
    return {"ok": True, "clusters": clusters}


def _nightly(reasons: list[str]) -> dict[str, Any]:
    max_age = catalogue().config.nightly.max_age_hours
    with catalogue().store.engine.connect() as conn:
        last = nightly_runs.last_finished(conn)
    if last is None or last.finished_at is None:
        reasons.append("no nightly run has finished yet")
        return {"ok": False, "max_age_hours": max_age}
    age = (datetime.now(UTC) - last.finished_at).total_seconds() / 3600
    ok = age <= max_age
    if not ok:
        reasons.append(
            f"the last nightly run ({last.id}) finished {age:.1f} hours ago, "
            f"more than {max_age:g} ([nightly] max_age_hours)"
        )
    return {"ok": ok, "run": last.id, "outcome": last.outcome,
            "finished_at": last.finished_at.isoformat(), "age_hours": round(age, 2),
            "max_age_hours": max_age}  # fmt: skip
