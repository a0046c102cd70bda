"""generate(): the demo catalogue written, edition by edition, to every holding library's
export, with truth.tsv beside them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from libnet.demo.broken import choose_damage
from libnet.demo.editions import EditionMaker
from libnet.demo.exports import Output, serialise
from libnet.demo.holdings import Shelf
from libnet.demo.libraries import DEMO_LIBRARIES, HABITS, DemoLibrary, Habits
from libnet.demo.record import RecordMaker
from libnet.demo.works import WorkMaker

# How many libraries hold one edition: most few, popular ones most (mean about 2.5).
_HOLDERS = (1, 2, 3, 4, 5, 6, 7, 8)
_HOLDER_WEIGHTS = (36, 26, 15, 9, 6, 4, 2, 2)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What generate() wrote; records and per_library count broken records too."""

    records: int
    broken: int
    files: tuple[Path, ...]
    per_library: dict[str, int]


def generate(
    out_dir: Path,
    titles: int = 2000,
    seed: int = 1,
    libraries: tuple[DemoLibrary, ...] = DEMO_LIBRARIES,
    broken: bool = True,
    records_per_file: int = 5000,
) -> DemoSummary:
    """Write every library's export and truth.tsv under out_dir; same arguments, same bytes.

    ``titles`` is the number of editions. Files are out_dir/<code>/<code>-0001.mrc (or .xml);
    truth.tsv lists each good record: library, local_id (001), edition_id, work_id.
    """
    _check(libraries, titles, records_per_file)
    rng = random.Random(seed)
    export = datetime(2026, 1, 5, 8) + timedelta(minutes=rng.randrange(200 * 24 * 60))
    editions = EditionMaker(rng)  # before the works: the same draws as ever, the same bytes
    works = WorkMaker(rng)
    maker = RecordMaker(rng, export)
    out_dir.mkdir(parents=True, exist_ok=True)
    habits = [HABITS.get(lib.code, Habits()) for lib in libraries]
    outputs = [Output(out_dir / lib.code, lib, records_per_file) for lib in libraries]
    shelves = [Shelf(h.id_start) for h in habits]
    weights = [h.size for h in habits]
    made = 0
    try:
        with (out_dir / "truth.tsv").open("w", encoding="utf-8", newline="\n") as truth:
            truth.write("library\tlocal_id\tedition_id\twork_id\n")
            while made < titles:
                for ed in editions.editions(works.next_work())[: titles - made]:
                    made += 1
                    for i in _holders(rng, weights):
                        lib, shelf = libraries[i], shelves[i]
                        shelf.next_id += rng.randint(1, 3)  # gaps: deleted records
                        local_id = f"{habits[i].id_prefix}{shelf.next_id}"
                        record = maker.record(ed, lib, habits[i], local_id, shelf)
                        damage = choose_damage(rng, lib, shelf, broken)
                        outputs[i].write(serialise(record, lib, damage))
                        if damage:
                            shelf.broken += 1
                        else:
                            shelf.good += 1
                            truth.write(
                                f"{lib.code}\t{local_id}\t{ed.edition_id}\t{ed.work.work_id}\n"
                            )
    finally:
        for output in outputs:
            output.close()
    return DemoSummary(
        records=sum(o.records for o in outputs),
        broken=sum(s.broken for s in shelves),
        files=tuple(path for o in outputs for path in o.files),
        per_library={lib.code: o.records for lib, o in zip(libraries, outputs, strict=True)},
    )


def _check(libraries: tuple[DemoLibrary, ...], titles: int, records_per_file: int) -> None:
    if titles < 0 or records_per_file < 1:
        raise ValueError("titles must be >= 0 and records_per_file >= 1")
    if len({lib.code for lib in libraries}) != len(libraries) or not libraries:
        raise ValueError("libraries must be a non-empty set of distinct codes")
    for lib in libraries:
        if lib.syntax not in ("iso2709", "marcxml") or lib.holdings not in ("koha", "924"):
            raise ValueError(f"{lib.code}: unknown syntax or holdings")
        if lib.encoding not in ("utf-8", "marc-8") or (
            lib.encoding == "marc-8" and lib.syntax != "iso2709"
        ):
            raise ValueError(f"{lib.code}: MARC-8 only exists in ISO 2709")


def _holders(rng: random.Random, weights: list[float]) -> list[int]:
    """Indexes of the libraries holding one edition; bigger libraries more often."""
    count = min(rng.choices(_HOLDERS, _HOLDER_WEIGHTS)[0], len(weights))
    # weighted sampling without replacement (Efraimidis-Spirakis keys)
    keys = [rng.random() ** (1.0 / w) for w in weights]
    return sorted(sorted(range(len(weights)), key=keys.__getitem__, reverse=True)[:count])
