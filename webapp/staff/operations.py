"""/staff/operations: what the harvests and the nightly runs did, and the index's state.

Per library the last harvests (when, how long, counts, outcome and error) and the records its
last harvest rejected, with their reasons; the index (clusters, when it last took changes,
what waits for the next update); the last nightly reports, each in full on a page of its own.
Per library with live availability ([libraries.availability]) its service: type, last
answer, last failure and why, median answer time over the last hour. Every librarian may
read it: the network's harvests concern every library. Only an
administrator has the button that harvests one library again at once, and only on the
harvest node: a web node that serves a copy of the index ([nightly] harvest_here = false) has
none.

The button starts `libnet harvest CODE --index` as a process of its own (the web app does not
harvest itself: a harvest takes minutes and the data directory's lock, which the nightly run
may hold). Its output goes to data_dir/logs/; the page says when another run holds the lock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from index.update import index_state
from libnet.accounts import login
from libnet.lock import is_held
from libnet.nightly_report import text as report_text
from libnet.store import nightly_runs
from webapp.errors import NoIndex
from webapp.labels import OUTCOME_LABELS
from webapp.staff.blueprint import staff_user
from webapp.state import catalogue

bp = Blueprint("operations", __name__, url_prefix="/staff/operations")

RUNS_SHOWN = 5  # harvests per library
REJECTS_SHOWN = 100  # rejected records (and repaired fields) of a library's last harvest
REPORTS_SHOWN = 10  # nightly runs
STARTUP_WAIT = 2.0  # seconds to see whether a started harvest gave up at once (the lock)


class HarvestForm(FlaskForm):
    pass


@bp.get("")
def overview() -> str:
    staff_user()
    store = catalogue().store
    libraries = []
    for library in catalogue().libraries:
        runs = store.runs(library.code, limit=RUNS_SHOWN)
        last = runs[0] if runs else None
        rejects = store.rejects(last.id, REJECTS_SHOWN) if last and last.rejected else []
        repairs = store.repairs(last.id, REJECTS_SHOWN) if last and last.repaired else []
        libraries.append({"library": library, "runs": runs, "rejects": rejects, "repairs": repairs})
    with store.engine.connect() as conn:
        reports = nightly_runs.recent_runs(conn, REPORTS_SHOWN)
        state = index_state(conn, catalogue().config.storage.data_dir)
        answers = login.system_states(conn)
    patron_systems = [
        {"library": library, "state": answers.get(library.code)}
        for library in catalogue().libraries
        if library.patrons.external
    ]
    availability = catalogue().availability  # its numbers live in this process (stats.py)
    live_sources = [
        {"library": library, "state": availability.state(library.code)}
        for library in catalogue().libraries
        if library.availability.live
    ]
    try:
        clusters = catalogue().index.count()
    except NoIndex:
        clusters = None
    updated = datetime.fromtimestamp(state.updated_at, UTC) if state.updated_at else None
    return render_template(
        "operations.html", libraries=libraries, reports=reports, state=state,
        clusters=clusters, index_updated=updated, form=HarvestForm(),
        outcome_label=_outcome_label, harvest_here=catalogue().config.nightly.harvest_here,
        patron_systems=patron_systems, live_sources=live_sources,
    )  # fmt: skip


@bp.get("/nightly/<int:run_id>")
def nightly_report(run_id: int) -> str:
    staff_user()
    with catalogue().store.engine.connect() as conn:
        found = nightly_runs.get_run(conn, run_id)
    if found is None:
        abort(404)
    text = report_text(found.report) if found.report else ""
    return render_template("operations_nightly.html", run=found, text=text,
                           outcome_label=_outcome_label)  # fmt: skip


@bp.post("/harvest/<code>")
def harvest(code: str) -> Response:
    if staff_user().role != "admin":
        abort(403)
    if code not in {lib.code for lib in catalogue().libraries}:
        abort(404)
    if not catalogue().config.nightly.harvest_here:
        abort(409, _("This web node serves a copy of the index: harvests run on the harvest node."))
    if not HarvestForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("operations.overview"))
    name = catalogue().library_name(code)
    outcome = start_harvest(code)
    if outcome == "busy":
        flash(_("%(name)s was not harvested: another harvest or the nightly run is working. "
                "Please try again later.", name=name), "error")  # fmt: skip
    elif outcome == "failed":
        flash(_("The harvest of %(name)s could not start; the log is in the data directory.",
                name=name), "error")  # fmt: skip
    else:
        flash(_("The harvest of %(name)s has started. Reload this page to see how it went.",
                name=name), "success")  # fmt: skip
    return redirect(url_for("operations.overview") + f"#library-{code}")


def start_harvest(code: str) -> str:
    """Start `libnet harvest CODE --index` in the background: started, busy or failed."""
    config = catalogue().config
    command = _libnet_command()
    if command is None:
        return "failed"
    if is_held(config.storage.data_dir):  # the common case, answered without a process
        return "busy"
    logs = config.storage.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"harvest-{code}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, "harvest", code, "--index", "--config", str(config.path)],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the request, and a restart of the web app
        )  # fmt: skip
    deadline = time.monotonic() + STARTUP_WAIT
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    if process.poll() is None or process.returncode == 0:
        _reap_later(process)
        return "started"
    said = log_path.read_text(errors="replace")
    if "harvest started" in said:  # it began, and failed at once: the page shows the run
        return "started"
    return "busy" if "already running" in said else "failed"


def _libnet_command() -> list[str] | None:
    """The `libnet` command of this installation: beside the Python that runs the web app."""
    beside = Path(sys.executable).with_name("libnet")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("libnet")
    return [found] if found else None


def _reap_later(process: subprocess.Popen) -> None:
    """Collect the harvest's exit status when it ends, so it leaves no zombie behind."""
    threading.Thread(target=process.wait, name="libnet-harvest-reaper", daemon=True).start()


def _outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))
