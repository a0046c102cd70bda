"""The record store on SQLite and PostgreSQL: changes, deletions, the feed, all-or-nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from libnet.config import LibraryConfig, SourceConfig
from libnet.records.harvested import ISO2709, RawRecord, RecordProblem
from libnet.records.marc import parse_iso2709
from libnet.records.prepare import Prepared, prepare
from libnet.store import RecordStore, SuspiciousDelete, open_store
from tests.builders import book, iso2709

MARL = LibraryConfig("marl", "Stadtbibliothek Marl", SourceConfig("marc", "x"))


def entry(local_id: str, title: str = "Tintenherz", source_id: str = "") -> Prepared:
    data = iso2709(book(local_id, title=title))
    prepared = prepare(RawRecord(data, ISO2709, parse_iso2709(data), "t", source_id), MARL)
    assert isinstance(prepared, Prepared)
    return prepared


def harvest(
    store: RecordStore,
    entries,
    *,
    snapshot: bool = True,
    force: bool = False,
    library: str = "marl",
    cursor: str | None = None,
):
    run = store.start_run(library, full=snapshot)
    return run, store.apply_harvest(
        run, library, entries, snapshot=snapshot, max_delete_share=0.3, force=force, cursor=cursor
    )


def test_a_first_harvest_adds_every_record(store: RecordStore) -> None:
    run, counts = harvest(store, [entry(f"m{i}") for i in range(5)])
    assert (counts.added, counts.changed, counts.deleted) == (5, 0, 0)
    stored = store.get("marl", "m3")
    assert stored is not None and stored.run_id == run and not stored.deleted
    assert stored.bib().title == "Tintenherz"
    assert stored.raw == iso2709(book("m3", title="Tintenherz"))
    assert store.runs("marl")[0].outcome == "ok"


def test_a_second_harvest_counts_changed_unchanged_and_deleted(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}") for i in range(10)])
    before = store.last_change_no()
    entries = [entry(f"m{i}") for i in range(1, 10)]
    entries[0] = entry("m1", title="Tintenblut")
    run, counts = harvest(store, [*entries, entry("m10")])
    assert (counts.added, counts.changed, counts.unchanged, counts.deleted) == (1, 1, 8, 1)
    changes = store.changes_since(before)
    assert [(c.local_id, c.deleted) for c in changes] == [
        ("m1", False),
        ("m10", False),
        ("m0", True),
    ]
    assert store.get("marl", "m1").bib().title == "Tintenblut"
    assert store.get("marl", "m5").run_id == run  # unchanged records are touched
    assert store.get("marl", "m5").change_no <= before


def test_the_change_feed_pages_in_order(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i:03d}") for i in range(25)])
    feed = list(store.iter_changes(0, batch=10))
    assert [c.change_no for c in feed] == list(range(1, 26))
    assert store.changes_since(store.last_change_no()) == []


def test_a_suspicious_mass_delete_is_refused_and_changes_nothing(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}") for i in range(10)])
    before = store.last_change_no()
    with pytest.raises(SuspiciousDelete, match="delete 6 of 10"):
        harvest(store, [entry("m1", title="Neu"), *[entry(f"m{i}") for i in range(2, 5)]])
    assert store.last_change_no() == before
    assert store.get("marl", "m1").bib().title == "Tintenherz"
    assert not store.get("marl", "m9").deleted


def test_force_applies_a_mass_delete(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}") for i in range(10)])
    _, counts = harvest(store, [entry("m1")], force=True)
    assert counts.deleted == 9


def test_an_incremental_harvest_deletes_only_what_the_source_deletes(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}", source_id=f"oai:x:{i}") for i in range(5)])
    gone = Prepared("", "oai:x:2", ISO2709, b"", "", "", deleted=True)
    never_had = Prepared("", "oai:x:99", ISO2709, b"", "", "", deleted=True)
    _, counts = harvest(store, [gone, never_had, entry("m7")], snapshot=False, cursor="2026")
    assert (counts.added, counts.deleted) == (1, 1)
    assert store.get("marl", "m2").deleted and not store.get("marl", "m3").deleted
    assert store.last_cursor("marl") == "2026"


def test_a_deleted_record_that_comes_back_is_live_again(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}") for i in range(10)])
    harvest(store, [entry(f"m{i}") for i in range(1, 10)])
    _, counts = harvest(store, [entry(f"m{i}") for i in range(10)])
    assert counts.changed == 1 and not store.get("marl", "m0").deleted


def test_a_record_delivered_twice_is_reported_and_the_first_kept(store: RecordStore) -> None:
    run, counts = harvest(store, [entry("m1"), entry("m1", title="Zweimal")])
    assert counts.added == 1 and counts.rejected == 1
    assert store.get("marl", "m1").bib().title == "Tintenherz"
    assert "delivered twice" in store.rejects(run)[0].reason


def test_a_harvest_that_breaks_midway_leaves_the_library_as_it_was(store: RecordStore) -> None:
    harvest(store, [entry(f"m{i}") for i in range(5)])
    before = store.last_change_no()

    def entries() -> Iterator[Prepared]:
        yield entry("m1", title="Halb")
        yield entry("m9")
        raise OSError("disk gone")

    run = store.start_run("marl", full=True)
    with pytest.raises(OSError):
        store.apply_harvest(run, "marl", entries(), snapshot=True, max_delete_share=0.3)
    assert store.last_change_no() == before
    assert store.get("marl", "m9") is None
    assert store.get("marl", "m1").bib().title == "Tintenherz"


def test_rejects_are_kept_with_their_run(store: RecordStore) -> None:
    problem = RecordProblem("export.mrc #3 (byte 900)", "field 245: invalid UTF-8", "m3", "00123…")
    run, counts = harvest(store, [entry("m1"), problem])
    assert counts.rejected == 1
    assert store.rejects(run) == [problem]


def test_libraries_do_not_touch_each_other(store: RecordStore) -> None:
    harvest(store, [entry("m1")], library="marl")
    harvest(store, [entry("h1")], library="herten")
    _, counts = harvest(store, [entry("h2")], library="herten", force=True)
    assert counts.deleted == 1
    assert not store.get("marl", "m1").deleted
    assert store.stats() == {
        "marl": {"records": 1, "deleted": 0},
        "herten": {"records": 1, "deleted": 1},
    }


def test_runs_left_running_by_a_dead_process_are_closed(store: RecordStore) -> None:
    run = store.start_run("marl", full=True)
    assert store.close_interrupted_runs() == 1
    assert store.run(run).outcome == "interrupted"


def test_opening_twice_migrates_once(store_url: str, tmp_path) -> None:
    open_store(store_url, tmp_path).close()
    again = open_store(store_url, tmp_path)
    assert again.last_change_no() == 0
    again.close()


def test_concurrent_harvests_hand_out_change_numbers_in_commit_order(store: RecordStore) -> None:
    """Two libraries written at once: the feed has no gaps and no number twice."""
    errors: list[BaseException] = []

    def write(library: str) -> None:
        try:
            for round_ in range(3):
                harvest(
                    store,
                    [entry(f"{library}{i}", title=f"T{round_}") for i in range(20)],
                    library=library,
                )
        except BaseException as exc:  # surfaced in the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(code,)) for code in ("marl", "herten")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = [c.change_no for c in store.iter_changes(0)]
    assert numbers == sorted(set(numbers))
    assert len(numbers) == 40 and store.last_change_no() == 120


def test_timestamps_are_stored_as_given(store: RecordStore) -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 25, 2, 0, 3, 123456, tzinfo=UTC)
    run = store.start_run("marl", full=True, now=moment)
    store.apply_harvest(run, "marl", [entry("m1")], snapshot=True, max_delete_share=0.3, now=moment)
    stored = store.get("marl", "m1")
    assert stored.first_seen == stored.last_changed == stored.last_seen == moment
    assert store.run(run).started_at == moment
