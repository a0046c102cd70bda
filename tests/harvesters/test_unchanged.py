"""The nightly case: an export harvested again skips the records whose bytes did not change.

Such a record costs a hash and a lookup (libnet.records.raw_hash) instead of its decoding, and
the run means what it meant before: the same counts, the same rejects and repairs, the missing
records deleted, nothing in the change feed for what did not change.
"""

from __future__ import annotations

from pathlib import Path

import pymarc
import pytest
from sqlalchemy import update

import harvesters.run
from libnet.cli import main
from libnet.demo import DEMO_LIBRARIES, generate
from libnet.store import open_store
from libnet.store.schema import records
from tests.builders import book, iso2709


def write_config(tmp_path: Path, *libraries: tuple[str, str], id_field: str = "001") -> Path:
    text = '[storage]\ndata_dir = "var"\n[harvest]\nworkers = 1\n'
    for code, url in libraries:
        text += f'\n[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\n'
        text += f'id_field = "{id_field}"\n[libraries.source]\ntype = "marc"\nurl = "{url}"\n'
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def store_of(config: Path):
    return open_store(f"sqlite:///{config.parent / 'var' / 'libnet.sqlite3'}")


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    """The positions of the records the harvest decoded (one process: workers = 1)."""
    seen: list[str] = []
    real = harvesters.run.prepare

    def counting(raw, library):
        seen.append(raw.position)
        return real(raw, library)

    monkeypatch.setattr(harvesters.run, "prepare", counting)
    return seen


def harvest(config: Path) -> dict[str, tuple[int, ...]]:
    """Harvest every library; per library its last run's counts."""
    assert main(["harvest", "--config", str(config)]) in (0, 1)
    runs = store_of(config).runs(limit=100)
    last = {}
    for run in reversed(runs):
        last[run.library] = (run.added, run.changed, run.unchanged, run.deleted, run.rejected)
        last[run.library] += (run.repaired,)
    return last


def demo_config(tmp_path: Path) -> Path:
    libraries = tuple(
        lib for form in ("iso2709", "marcxml") for lib in DEMO_LIBRARIES if lib.syntax == form
    )
    libraries = libraries[:2] + libraries[-2:]
    generate(tmp_path / "demo", titles=80, seed=3, libraries=libraries)
    return write_config(tmp_path, *((lib.code, f"demo/{lib.code}/*") for lib in libraries))


def test_a_demo_export_harvested_again_decodes_only_its_broken_and_repaired_records(
    tmp_path: Path, decoded: list[str]
) -> None:
    config = demo_config(tmp_path)
    first = harvest(config)
    change_no = store_of(config).last_change_no()
    read, decoded[:] = len(decoded), []
    second = harvest(config)
    for library, (added, changed, _, deleted, rejected, repaired) in first.items():
        assert second[library] == (0, 0, added + changed, deleted, rejected, repaired)
    assert sum(c[4] for c in first.values()) > 0  # the demo's broken records: rejected again
    assert store_of(config).last_change_no() == change_no  # nothing moved in the change feed
    again = sum(c[4] + c[5] for c in first.values())  # rejected or repaired: decoded each time
    assert len(decoded) == again < read


def test_records_stored_without_a_raw_hash_are_decoded_once_and_given_one(
    tmp_path: Path, decoded: list[str]
) -> None:
    config = demo_config(tmp_path)
    first = harvest(config)
    store = store_of(config)
    with store.engine.begin() as conn:  # as the rows of a store from before the raw hash
        conn.execute(update(records).values(raw_hash=""))
    decoded.clear()
    second = harvest(config)
    assert {c[2] for c in second.values()} == {c[0] for c in first.values()}  # all unchanged
    assert len(decoded) >= sum(c[0] for c in first.values())
    decoded.clear()
    assert harvest(config) == second
    assert len(decoded) == sum(c[4] + c[5] for c in first.values())


def test_a_changed_id_field_decodes_every_record_again(tmp_path: Path, decoded: list[str]) -> None:
    marl = [book(f"m{i}") for i in range(4)]
    for number, record in enumerate(marl):
        record.add_ordered_field(pymarc_035(f"(DE-Marl)x{number}"))
    (tmp_path / "marl.mrc").write_bytes(iso2709(*marl))
    config = write_config(tmp_path, ("marl", "marl.mrc"))
    assert harvest(config)["marl"][:3] == (4, 0, 0)
    config = write_config(tmp_path, ("marl", "marl.mrc"), id_field="035$a")
    decoded.clear()
    # new ids: four added, the four stored under 001 deleted (allowed with --force only)
    assert main(["harvest", "--force", "--config", str(config)]) == 0
    assert len(decoded) == 4
    assert store_of(config).get("marl", "(DE-Marl)x2") is not None


def test_a_record_missing_from_the_export_is_deleted_and_a_repeated_one_refused(
    tmp_path: Path, decoded: list[str]
) -> None:
    path = tmp_path / "marl.mrc"
    path.write_bytes(iso2709(*(book(f"m{i}") for i in range(10))))
    config = write_config(tmp_path, ("marl", "marl.mrc"))
    assert harvest(config)["marl"] == (10, 0, 0, 0, 0, 0)
    path.write_bytes(iso2709(*(book(f"m{i}") for i in (*range(9), 3))))  # m9 gone, m3 twice
    decoded.clear()
    assert harvest(config)["marl"] == (0, 0, 9, 1, 1, 0)
    assert decoded == []
    assert store_of(config).get("marl", "m9").deleted
    rejects = store_of(config).rejects(store_of(config).runs()[0].id)
    assert [r.reason for r in rejects] == [
        "record id m3 delivered twice in one harvest; the first one is kept"
    ]


def pymarc_035(value: str) -> pymarc.Field:
    return pymarc.Field("035", [" ", " "], [pymarc.Subfield("a", value)])


def test_worker_processes_keep_the_order_of_changed_and_unchanged_records(
    tmp_path: Path,
) -> None:
    path = tmp_path / "marl.mrc"
    path.write_bytes(iso2709(*(book(f"m{i}") for i in range(1200))))
    config = write_config(tmp_path, ("marl", "marl.mrc"))
    config.write_text(config.read_text().replace("workers = 1", "workers = 2"))
    assert harvest(config)["marl"] == (1200, 0, 0, 0, 0, 0)
    change_no = store_of(config).last_change_no()
    edited = {10: "Neu A", 700: "Neu B", 1100: "Neu C"}
    again = [book(f"m{i}", title=edited[i]) if i in edited else book(f"m{i}") for i in range(1200)]
    # m700 again at the end, unchanged: the edited one came first and is kept
    path.write_bytes(iso2709(*again, book("m700")))
    assert harvest(config)["marl"] == (0, 3, 1197, 0, 1, 0)
    moved = store_of(config).changes_since(change_no)
    assert {r.local_id: r.bib().title for r in moved} == {
        f"m{i}": title for i, title in edited.items()
    }
