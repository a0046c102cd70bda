"""`libnet nightly` under faults: kill -9 mid-harvest and mid-commit, sources that misbehave,
the mail server down, a read-only data directory.

Every peer runs on 127.0.0.1: FaultServer (SRU) and ScriptedServer (OAI-PMH) answer as each
test scripts them, aiosmtpd takes the mail. A killed run is a real `libnet` subprocess ended
with SIGKILL; the index is killed at a chosen point of Whoosh's commit by a subprocess that
patches it to kill itself there, so each kill lands where the test says.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymarc
import pytest
import whoosh.index
from sqlalchemy import select, update

from index.search import UnionIndex
from index.update import CURSOR, index_path
from libnet import accounts, loans
from libnet.cli import main
from libnet.config import load_config
from libnet.loans import notices
from libnet.lock import data_dir_lock
from libnet.store import RecordStore, StoredRecord, clusters, open_store
from libnet.store.schema import cluster_members
from libnet.store.schema import notices as notice_rows
from tests.builders import book, iso2709
from tests.libnet.test_loans import PASSWORD, with_item
from tests.peers.http_faults import (
    GARBAGE,
    HTML_PAGE,
    Answer,
    FaultServer,
    Script,
    refused_url,
    sru_catalogue,
    sru_endless,
)
from tests.peers.oai_faults import Answer as OaiAnswer
from tests.peers.oai_faults import ScriptedServer, repository
from tests.peers.postgres import free_port
from tests.peers.smtp import SmtpServer
from tests.test_nightly import OPERATOR, mail_to, runs

ROOT = Path(__file__).resolve().parents[1]
LIBNET = [sys.executable, "-m", "libnet.cli"]
PATRON = "joerg@example.org"

# Runs `libnet ARGS...` with one function replaced by one that kills the process with SIGKILL,
# before or after doing its work: `python -c KILLER module:Class.function before|after ARGS...`
KILLER = """
import importlib, os, signal, sys
where, when, *args = sys.argv[1:]
module, name = where.split(":")
owner = importlib.import_module(module)
*path, attribute = name.split(".")
for part in path:
    owner = getattr(owner, part)
original = getattr(owner, attribute)
def killing(*given, **named):
    if when == "after":
        original(*given, **named)
    print(f"killed {when} {where}", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
setattr(owner, attribute, killing)
from libnet.cli import main
sys.exit(main(args))
"""


# --------------------------------------------------------------------------- helpers


def source(kind: str, url: str, **settings: object) -> str:
    """A [libraries.source] table's lines; JSON writes strings and numbers as TOML does."""
    values = {"type": kind, "url": url, **settings}
    return "\n".join(f"{key} = {json.dumps(value)}" for key, value in values.items())


def write_config(
    folder: Path, sources: dict[str, str], extra: str = "", emails: dict[str, str] | None = None
) -> Path:
    """One library per source (code: its source table), data in folder/var."""
    text = f'[storage]\ndata_dir = "var"\n{extra}\n'
    for code, table in sources.items():
        text += f'[[libraries]]\ncode = "{code}"\nname = "Stadtbibliothek {code.title()}"\n'
        if emails and code in emails:
            text += f'email = "{emails[code]}"\n'
        text += f"[libraries.source]\n{table}\n"
    path = folder / "config.toml"
    path.write_text(text)
    return path


def books(prefix: str, word: str, count: int) -> list[pymarc.Record]:
    """Books PREFIX0 … titled 'WORD Titel n'; no ISBN, so each is a cluster of its own."""
    return [book(f"{prefix}{n}", f"{word} Titel {n}", isbn="") for n in range(count)]


def as_sru(records: list[pymarc.Record]) -> list[bytes]:
    return [pymarc.record_to_xml(record, namespace=True) for record in records]


def slowly(script: Callable[[dict[str, str]], Answer], seconds: float) -> Script:
    """The same answers, each after `seconds`: a server that is slow page after page."""
    return lambda args: dataclasses.replace(script(args), hang=seconds)


def store_of(folder: Path) -> RecordStore:
    return open_store(f"sqlite:///{folder / 'var' / 'libnet.sqlite3'}")


def stored(folder: Path, library: str) -> dict[str, StoredRecord]:
    """A library's records in the store as they are, every column."""
    store = store_of(folder)
    try:
        return {r.local_id: r for r in store.iter_changes(0) if r.library == library}
    finally:
        store.close()


def titles(records: dict[str, StoredRecord]) -> dict[str, str]:
    return {local_id: r.bib().title for local_id, r in records.items() if not r.deleted}


def indexed(data_dir: Path) -> list[tuple[int, str]]:
    """Every document in the index as (cluster id, title), read from Whoosh's own files."""
    with whoosh.index.open_dir(str(index_path(data_dir))).searcher() as searcher:
        docs = [json.loads(fields["doc"]) for fields in searcher.all_stored_fields()]
    return sorted((doc["id"], doc["title"]) for doc in docs)


def live_clusters(folder: Path) -> set[int]:
    """The ids of the store's clusters that have members: what the index must hold."""
    store = store_of(folder)
    try:
        with store.engine.connect() as conn:
            return set(conn.scalars(select(cluster_members.c.cluster_id).distinct()))
    finally:
        store.close()


def index_matches_store(folder: Path, expected_titles: list[str]) -> None:
    """The index holds each live cluster of the store once, and nothing else."""
    docs = indexed(folder / "var")
    assert [cluster_id for cluster_id, _ in docs] == sorted(live_clusters(folder))
    assert sorted(title for _, title in docs) == sorted(expected_titles)
    assert UnionIndex(index_path(folder / "var")).count() == len(docs)


def unused_files(folder: Path) -> list[str]:
    """Segment files of an index folder that its latest commit does not list."""
    # Whoosh has no public list of the segments of the latest commit
    segments = {segment.segment_id() for segment in whoosh.index.open_dir(str(folder))._segments()}
    names = [f.name for f in folder.iterdir() if f.name.startswith("MAIN_") and "." in f.name]
    return [name for name in names if name.split(".")[0] not in segments]


def no_leftovers(data_dir: Path) -> None:
    """Only the current build's folder, holding only the files of its latest commit."""
    current = index_path(data_dir).resolve()
    assert sorted(data_dir.glob("index-*")) == [current], "a killed build's folder remains"
    assert unused_files(current) == [], "files of a killed commit remain"
    assert not list(current.glob("*.tmp")) and not list(current.glob("_MAIN_*.toc.*"))


def read_stderr_until(process: subprocess.Popen, text: str, seconds: float = 30) -> list[str]:
    """The process's log lines up to the first one holding `text`; a late process is killed."""
    watchdog = threading.Timer(seconds, process.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        for line in process.stderr:
            lines.append(line)
            if text in line:
                return lines
    finally:
        watchdog.cancel()
    raise AssertionError(f"{text!r} never came; the log was:\n{''.join(lines)}")


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


@pytest.fixture
def sru_server() -> Iterator[Callable[..., FaultServer]]:
    """Start FaultServers answering as scripted: `sru_server(answer, ...)`; all stop after."""
    servers: list[FaultServer] = []

    def start(*script: Script) -> FaultServer:
        server = FaultServer()
        server.start()
        server.answer(*script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------- 1. kill -9 mid-harvest


def test_a_nightly_killed_mid_harvest_leaves_the_library_as_it_was_and_the_next_catches_up(
    tmp_path: Path, sru_server: Callable[..., FaultServer]
) -> None:
    data_dir = tmp_path / "var"
    (tmp_path / "datteln.mrc").write_bytes(iso2709(book("d1", "Datteln erzählt", isbn="")))
    marl = sru_server(sru_catalogue(as_sru(books("m", "Alt", 10))))
    config = write_config(tmp_path, {
        "datteln": source("marc", "datteln.mrc"),
        "marl": source("sru", marl.url, page_size=3, retries=0),
    })  # fmt: skip
    assert main(["nightly", "--config", str(config)]) == 0
    marl_before, index_before = stored(tmp_path, "marl"), indexed(data_dir)
    assert len(marl_before) == 10

    # the next night datteln has a second book, and marl's catalogue changed: its ten titles
    # recatalogued, twenty new; its server takes 0.2 s for each of the ten pages
    (tmp_path / "datteln.mrc").write_bytes(
        iso2709(book("d1", "Datteln erzählt", isbn=""), book("d2", "Datteln liest", isbn=""))
    )
    marl.answer(slowly(sru_catalogue(as_sru(books("m", "Neu", 30))), 0.2))
    command = [*LIBNET, "nightly", "--config", str(config)]
    killed = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        log = read_stderr_until(killed, "harvest started library=marl")
        wait_until(lambda: len(marl.requests) >= 3)  # two pages served, the third on its way
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    assert len(marl.requests) < 10, "the harvest finished before it was killed"
    assert any("harvest finished library=datteln" in line for line in log)

    assert stored(tmp_path, "marl") == marl_before  # nothing half-written, nothing lost
    assert sorted(stored(tmp_path, "datteln")) == ["d1", "d2"]  # datteln's was committed
    assert indexed(data_dir) == index_before  # the run never reached the index
    store = store_of(tmp_path)
    [killed_run] = store.runs("marl", limit=1)
    store.close()
    assert killed_run.outcome == "running"  # as the kill left it
    assert [row["outcome"] for row in runs(tmp_path)] == ["ok", "running"]
    assert list((data_dir / "tmp").iterdir()) == []  # the spool went with the process
    with data_dir_lock(data_dir):  # the kill released the lock
        pass

    marl.answer(sru_catalogue(as_sru(books("m", "Neu", 30))))  # answering normally again
    assert main(["nightly", "--config", str(config)]) == 0
    store = store_of(tmp_path)
    assert store.run(killed_run.id).outcome == "interrupted"
    assert store.run(killed_run.id).error == "the harvest stopped before it finished"
    store.close()
    assert [row["outcome"] for row in runs(tmp_path)] == ["ok", "interrupted", "ok"]
    marl_now = titles(stored(tmp_path, "marl"))
    assert marl_now == {f"m{n}": f"Neu Titel {n}" for n in range(30)}
    index_matches_store(tmp_path, [*marl_now.values(), "Datteln erzählt", "Datteln liest"])


# --------------------------------------------------------------------------- 2. kill -9 mid-commit


@pytest.mark.parametrize(
    ("command", "where", "when", "seen_after_kill"),
    [
        (("nightly",), "whoosh.writing:SegmentWriter._commit_toc", "before", "old"),
        (("nightly",), "whoosh.writing:SegmentWriter.commit", "after", "new"),
        (("index", "--full"), "whoosh.writing:SegmentWriter._commit_toc", "before", "old"),
        (("index", "--full"), "index.update:_switch", "before", "old"),
    ],
    ids=[
        "update-segments-written-toc-not",
        "update-committed-cursor-not",
        "rebuild-segments-written-toc-not",
        "rebuild-committed-link-not-switched",
    ],
)
def test_an_index_killed_mid_commit_answers_as_before_and_the_next_run_catches_up(
    tmp_path: Path, command: tuple[str, ...], where: str, when: str, seen_after_kill: str
) -> None:
    data_dir = tmp_path / "var"
    herten = books("h", "Herten", 4)
    (tmp_path / "herten.mrc").write_bytes(iso2709(*herten))
    (tmp_path / "marl.mrc").write_bytes(iso2709(*books("m", "Alt", 8)))
    config = write_config(tmp_path, {"herten": source("marc", "herten.mrc"),
                                     "marl": source("marc", "marl.mrc")})  # fmt: skip
    assert main(["nightly", "--config", str(config)]) == 0
    before, before_folder = indexed(data_dir), index_path(data_dir).resolve()
    assert len(before) == 12

    # marl recatalogued three titles, withdrew m7 and bought two
    marl = [*books("m", "Neu", 3), *books("m", "Alt", 7)[3:], *books("m", "Neu", 10)[8:]]
    (tmp_path / "marl.mrc").write_bytes(iso2709(*marl))
    expected = [r.title for r in [*herten, *marl]]
    if command[0] == "index":
        assert main(["harvest", "--config", str(config)]) == 0
    killed = subprocess.run([sys.executable, "-c", KILLER, where, when, *command,
                             "--config", str(config)],
                            cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert f"killed {when} {where}" in killed.stderr

    # the store kept what the killed run committed: marl's harvest and its clusters
    assert sorted(titles(stored(tmp_path, "marl")).values()) == sorted(r.title for r in marl)
    if where.endswith("_commit_toc"):  # the killed commit wrote its segment; nothing lists it
        builds = [folder for folder in data_dir.glob("index-*") if folder != before_folder]
        assert unused_files(builds[0] if builds else before_folder) != []
    if seen_after_kill == "old":
        assert indexed(data_dir) == before
        assert index_path(data_dir).resolve() == before_folder
        assert UnionIndex(index_path(data_dir)).search("Neu").total == 0
        assert UnionIndex(index_path(data_dir)).search("Alt").total == 8
    else:  # Whoosh committed, the cursor file still says the batch is to do
        index_matches_store(tmp_path, expected)
        cursor = json.loads((index_path(data_dir) / CURSOR).read_text())["cluster_change_no"]
        store = store_of(tmp_path)
        with store.engine.connect() as conn:
            assert cursor < clusters.state(conn, "cluster_change_no")
        store.close()

    catch_up = ["nightly"] if command[0] == "nightly" else ["index"]
    assert main([*catch_up, "--config", str(config)]) == 0
    index_matches_store(tmp_path, expected)  # each cluster once, none missing, none gone stale
    no_leftovers(data_dir)
    if command[0] == "nightly":
        assert [row["outcome"] for row in runs(tmp_path)] == ["ok", "interrupted", "ok"]


# --------------------------------------------------------------------------- 3. sources at fault


def test_each_faulty_source_fails_alone_with_its_reason_and_the_good_library_is_indexed(
    tmp_path: Path,
    sru_server: Callable[..., FaultServer],
    scripted_oai: Callable[..., ScriptedServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = sru_server(sru_catalogue(as_sru(books("r", "Recklinghausen", 3))))
    hanging = sru_server(Answer(hang=30))  # FaultServer.stop ends the wait
    error_500 = scripted_oai(lambda args: OaiAnswer(b"Internal Server Error", 500, "text/plain"))
    html = sru_server(HTML_PAGE)
    endless = sru_server(sru_endless(page_size=2))
    garbage = sru_server(GARBAGE)
    cut_off = scripted_oai(repository(lambda args: OaiAnswer(b'<?xml version="1.0"?><OAI-PMH>')))
    dripping = sru_server(Answer(b"<searchRetrieveResponse>", dribble=0.2))
    elsewhere = sru_server(sru_catalogue(as_sru(books("w", "Woanders", 1))))
    redirecting = sru_server(Answer(status=302, headers={"Location": elsewhere.url}))
    quick = {"retries": 0, "backoff": 0.01, "timeout": 5}
    config = write_config(tmp_path, {
        "castrop": source("sru", refused_url(), **quick),
        "datteln": source("sru", hanging.url, **quick | {"timeout": 0.3}),
        "dorsten": source("oai", error_500.url, **quick),
        "gladbeck": source("sru", html.url, **quick),
        "haltern": source("sru", endless.url, page_size=2, max_pages=3, **quick),
        "herten": source("sru", garbage.url, **quick),
        "marl": source("oai", cut_off.url, **quick),
        "recklinghausen": source("sru", good.url, **quick),
        "waltrop": source("sru", dripping.url, deadline=0.5, **quick),
        "oer-erkenschwick": source("sru", redirecting.url, **quick),
    })  # fmt: skip
    reasons = {
        "castrop": "connection refused",
        "datteln": "no answer within 0.3 s",
        "dorsten": "HTTP 500 Internal Server Error",
        "gladbeck": f"{html.url}: answered HTML, not XML",
        "haltern": f"{endless.url}: paging does not advance: more than 3 pages",
        "herten": "answer is not well-formed XML (line 1: ",
        "marl": "answer is not well-formed XML",
        "waltrop": "harvest deadline of 0.5 s reached after 0 records on page 1",
        "oer-erkenschwick": "refused to follow the redirect to http://127.0.0.1:",
    }

    assert main(["nightly", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    report = json.loads((tmp_path / "var" / "reports" / "nightly-000001.json").read_text())
    by_code = {lib["library"]: lib for lib in report["libraries"]}
    assert report["outcome"] == "failed"
    assert by_code["recklinghausen"]["outcome"] == "ok"
    assert by_code["recklinghausen"]["added"] == 3 and by_code["recklinghausen"]["error"] == ""
    for code, reason in reasons.items():
        lib = by_code[code]
        assert (lib["outcome"], lib["added"]) == ("failed", 0), code
        assert reason in lib["error"], (code, lib["error"])
        assert "\n" not in lib["error"]
        assert any(e.startswith(f"{code}: ") and reason in e for e in report["errors"]), code
        assert f"  {code:<18} failed " in out  # its line in the printed report …
        assert f"\n      {lib['error']}\n" in out  # … and its reason under it
    assert len(report["errors"]) == len(reasons)  # the index, timers and notices did their part
    assert elsewhere.requests == []  # the refused redirect's target was never asked
    assert report["index"]["outcome"] == "ok" and report["index"]["total"] == 3
    assert sorted(title for _, title in indexed(tmp_path / "var")) == [
        f"Recklinghausen Titel {n}" for n in range(3)
    ]
    assert len(endless.requests) == 3 and len(hanging.requests) == 1  # retries 0: no second try
    store = store_of(tmp_path)
    assert {code for code, counts in store.stats().items() if counts} == {"recklinghausen"}
    store.close()


# --------------------------------------------------------------------------- 4. mail server down


def test_notices_and_the_report_wait_while_the_mail_server_is_down_and_go_out_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nobody listens there tonight
    back = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    lenders = {"datteln": ("d1", back), "herten": ("h1", ""), "marl": ("m1", "")}
    for code, (local_id, due) in lenders.items():  # Datteln's copy is on loan
        (tmp_path / f"{code}.mrc").write_bytes(iso2709(with_item(local_id, due=due)))
    config = write_config(
        tmp_path,
        {code: source("marc", f"{code}.mrc") for code in lenders},
        mail_to(None, port),
        emails={"herten": "fernleihe@herten.example", "marl": "fernleihe@marl.example"},
    )
    assert main(["nightly", "--config", str(config)]) == 0  # nothing to send yet: no failure

    # a patron of Datteln asked two weeks ago; Herten never answered
    store = store_of(tmp_path)
    asked = datetime.now(UTC) - timedelta(days=14)
    with store.engine.begin() as conn:
        patron = accounts.add_user(conn, role="patron", library="datteln", name="Jörg Müller",
                                   card="D300", email=PATRON, password=PASSWORD)  # fmt: skip
        record = clusters.record_ids(conn, [("herten", "h1")])[("herten", "h1")]
        wanted = clusters.cluster_of(conn, [record])[record]
    mailing = notices.Mailing.from_config(load_config(config))
    with loans.transaction(store.engine) as conn:
        request = loans.place_request(conn, patron, wanted, title="Die Vermessung der Welt",
                                      now=asked, mailing=mailing)  # fmt: skip
    assert request.supplier == "herten"
    capsys.readouterr()

    assert main(["nightly", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "Loans: 1 moved on from a silent supplier" in out
    refused = f"the mail server 127.0.0.1:{port} failed: [Errno 111] Connection refused"
    [notices_line] = [line for line in out.splitlines() if line.startswith("Notices:")]
    assert notices_line.startswith("Notices: 0 sent, 3 failed, 3 waiting (")
    assert notices_line.endswith(f"; failed: {refused}")
    assert f"  - notices: {refused}\n" in out
    with store.engine.begin() as conn:
        waiting = conn.execute(select(notice_rows)).mappings().all()
        assert sorted((n["kind"], n["recipient"]) for n in waiting) == [
            ("incoming", "library:herten"), ("incoming", "library:marl"),
            ("nightly", OPERATOR), ("placed", PATRON),
        ]  # fmt: skip
        assert all(n["sent_at"] is None and n["next_attempt_at"] is not None for n in waiting)
        assert all(n["attempts"] == 1 for n in waiting)
        # the retry is due some minutes later: those minutes pass
        conn.execute(update(notice_rows).values(next_attempt_at=asked))
    store.close()

    with SmtpServer(port=port) as smtp:
        assert main(["notices", "send", "--config", str(config)]) == 0
        assert "4 sent, 0 failed, 0 waiting" in capsys.readouterr().out
        assert [m.message["Subject"] for m in smtp.to(PATRON)] == [
            "Ihre Fernleihe ist bestellt: „Die Vermessung der Welt“"
        ]
        assert len(smtp.to("fernleihe@herten.example")) == 1
        assert len(smtp.to("fernleihe@marl.example")) == 1
        [report] = smtp.to(OPERATOR)
        assert report.message["Subject"].endswith(": failed (notices)")
        assert report.body == out  # the report as printed the night the server was down


# --------------------------------------------------------------------------- 5. read-only data_dir


def tree(folder: Path) -> dict[str, tuple]:
    """Every file, folder and link below folder with its size, time and content."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            found[str(path)] = ("link", os.readlink(path))
        elif path.is_dir():
            found[str(path)] = ("dir", info.st_mtime_ns)
        else:
            found[str(path)] = ("file", info.st_size, info.st_mtime_ns, path.read_bytes())
    return found


def make_read_only(folder: Path) -> Callable[[], None]:
    """Make folder read-only (a remount as root, modes otherwise); returns the undo."""
    if os.geteuid() == 0:  # root ignores modes: only a read-only file system stops it
        done = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True)
        if done.returncode:
            pytest.skip(f"cannot remount {folder} read-only: {done.stderr.decode().strip()}")
        return lambda: subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
    paths = [folder, *folder.rglob("*")]
    modes = {path: path.lstat().st_mode for path in paths if not path.is_symlink()}
    for path in sorted(modes, reverse=True):  # the files before their folders
        path.chmod(0o555 if path.is_dir() else 0o444)

    def undo() -> None:
        for path, mode in modes.items():
            path.chmod(mode)

    return undo


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/var: a small tmpfs of its own as root (to remount read-only), else a folder."""
    folder = tmp_path / "var"
    folder.mkdir()
    if os.geteuid() != 0:
        yield folder
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                          capture_output=True)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs on {folder}: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_read_only_data_directory_is_one_clear_line_and_changes_nothing(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "marl.mrc").write_bytes(iso2709(*books("m", "Marl", 3)))
    config = write_config(tmp_path, {"marl": source("marc", "marl.mrc")})
    assert main(["nightly", "--config", str(config)]) == 0
    (tmp_path / "marl.mrc").write_bytes(iso2709(*books("m", "Marl", 5)))  # news to take in
    before = tree(data_dir)
    undo = make_read_only(data_dir)
    try:
        if os.geteuid() != 0 and os.access(data_dir, os.W_OK):
            pytest.skip(f"{data_dir} stays writable")
        night = subprocess.run([*LIBNET, "nightly", "--config", str(config)], cwd=ROOT,
                               capture_output=True, text=True)  # fmt: skip
        reason = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
        line = f"libnet: cannot write in the data directory {data_dir}: {reason}\n"
        assert (night.returncode, night.stdout, night.stderr) == (1, "", line)
        capsys.readouterr()
        for command in ("harvest", "index"):  # every command that takes the lock says the same
            assert main([command, "--config", str(config)]) == 1
            assert capsys.readouterr().err == line
        assert tree(data_dir) == before  # no report, store and index as they were
    finally:
        undo()
