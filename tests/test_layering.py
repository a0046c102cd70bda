"""The packages' arrows, read from every import (lazy and type-only ones count).

libnet imports none of the others (but its command, libnet.cli); harvesters and index import
only libnet; webapp imports libnet and index; no import cycles; only libnet imports the table
definitions; no module over 400 lines. Each test names what it found. The checks themselves
live in tests/layering/imports.py and are tested here on small trees written to tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layering.imports import (
    MAX_LINES,
    PACKAGES,
    Graph,
    cycles,
    long_modules,
    module_graph,
    table_imports,
)

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "libnet": {"libnet"},
    "harvesters": {"libnet", "harvesters"},
    "index": {"libnet", "index"},
    "webapp": {"libnet", "index", "webapp"},
}
COMMAND = "libnet.cli"  # the top floor: it wires the stages together, nothing imports it

# Findings of the checks below that are still owed, each worded exactly as its check words it.
# Pay one, then take it off: a test fails while an entry here is no longer found.
KNOWN_DEBT: set[str] = set()  # none owed today


@pytest.fixture(scope="module")
def graph() -> Graph:
    return module_graph(ROOT)


def wrong_arrows(graph: Graph) -> list[str]:
    """Each import of a package its package may not import; the command may import all."""
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if not _is_command(module)
        for target in targets
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    )


def command_users(graph: Graph) -> list[str]:
    """Each module outside the command that imports it."""
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if not _is_command(module)
        for target in targets
        if _is_command(target)
    )


def _is_command(module: str) -> bool:
    return module == COMMAND or module.startswith(COMMAND + ".")


def assert_only_known_debt(kind: str, findings: list[str]) -> None:
    """No finding beyond KNOWN_DEBT, and every KNOWN_DEBT entry of this kind still found."""
    owed = {debt for debt in KNOWN_DEBT if debt.startswith(kind + ":")}
    new = [finding for finding in findings if finding not in owed]
    paid = sorted(owed - set(findings))
    assert not new, "\n".join(new)
    assert not paid, "paid, take off KNOWN_DEBT:\n" + "\n".join(paid)


def test_every_import_follows_the_arrows(graph: Graph) -> None:
    wrong = wrong_arrows(graph)
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_command(graph: Graph) -> None:
    users = command_users(graph)
    assert not users, "\n".join(users)


def test_no_import_cycle(graph: Graph) -> None:
    assert_only_known_debt("cycle", cycles(graph))


def test_only_libnet_imports_the_tables(graph: Graph) -> None:
    assert_only_known_debt("table import", table_imports(graph))


def test_no_module_is_too_long() -> None:
    assert_only_known_debt("too long", long_modules(ROOT))


def test_every_known_debt_has_a_check() -> None:
    kinds = ("cycle:", "table import:", "too long:")
    assert not [debt for debt in KNOWN_DEBT if not debt.startswith(kinds)]


# ---------------------------------------------------------------- the checks on small trees


def write(root: Path, files: dict[str, str]) -> Path:
    """A source tree of the four packages under root, with the given modules in it."""
    for package in PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_of_two_modules_is_named(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/loans.py": "from libnet.notices import send\n",
         "libnet/notices.py": "import libnet.loans\n"},
    )  # fmt: skip
    assert cycles(module_graph(root)) == ["cycle: libnet.loans -> libnet.notices -> libnet.loans"]


def test_a_cycle_of_three_modules_is_named_once_from_its_first_module(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"webapp/pages.py": "from webapp import sru\n",  # a submodule: webapp.sru
         "webapp/sru.py": "from .oai import PAGE_SIZE\n",
         "webapp/oai.py": "from . import pages\n",
         "webapp/feeds.py": "from webapp import pages\n"},
    )  # fmt: skip
    assert cycles(module_graph(root)) == [
        "cycle: webapp.oai -> webapp.pages -> webapp.sru -> webapp.oai"
    ]


def test_a_lazy_import_inside_a_function_counts(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"webapp/api.py": "from webapp.limits import PAGE_SIZE\n\n\n"
                          "def document():\n    from webapp.openapi import document\n",
         "webapp/openapi.py": "from webapp.api import PAGE_SIZE\n",
         "webapp/limits.py": "PAGE_SIZE = 20\n"},
    )  # fmt: skip
    assert cycles(module_graph(root)) == ["cycle: webapp.api -> webapp.openapi -> webapp.api"]


def test_a_type_checking_import_counts(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"index/engine.py": "from typing import TYPE_CHECKING\n\n"
                            "if TYPE_CHECKING:\n    from index.vectors import Snapshot\n",
         "index/vectors.py": "from index import engine\n"},
    )  # fmt: skip
    assert cycles(module_graph(root)) == ["cycle: index.engine -> index.vectors -> index.engine"]


def test_a_package_that_imports_its_module_importing_it_back_is_a_cycle(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/loans/__init__.py": "from libnet.loans.rota import rota\n",
         "libnet/loans/rota.py": "from libnet.loans import State\n",  # a name: the __init__
         "libnet/loans/states.py": "State = 1\n"},
    )  # fmt: skip
    assert cycles(module_graph(root)) == [
        "cycle: libnet.loans -> libnet.loans.rota -> libnet.loans"
    ]


def test_a_table_import_outside_libnet_is_named(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/store/__init__.py": "",
         "libnet/store/schema.py": "records = None\n",
         "libnet/store/clusters.py": "from libnet.store.schema import records\n",
         "webapp/catalogue.py": "from libnet.store.schema import records\n",
         "index/grouping.py": "def regroup():\n    from libnet.store import schema\n"},
    )  # fmt: skip
    assert table_imports(module_graph(root)) == [
        "table import: index.grouping imports libnet.store.schema",
        "table import: webapp.catalogue imports libnet.store.schema",
    ]


def test_a_module_of_401_lines_is_too_long_and_one_of_400_is_not(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/big.py": "x = 1\n" * (MAX_LINES + 1),
         "libnet/fits.py": "x = 1\n" * MAX_LINES,
         "libnet/store/migrations/versions/0001_first.py": "x = 1\n" * 1000},
    )  # fmt: skip
    assert long_modules(root) == ["too long: libnet/big.py has 401 lines (at most 400)"]


def test_a_clean_tree_has_no_findings(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/store/__init__.py": "from libnet.store.clusters import cluster_info\n",
         "libnet/store/schema.py": "records = None\n",
         "libnet/store/clusters.py": "from libnet.store.schema import records\n",
         "libnet/cli/__init__.py": "from index import engine\nfrom webapp import app\n",
         "index/engine.py": "from typing import TYPE_CHECKING\n\n"
                            "if TYPE_CHECKING:\n    from libnet.store import RecordStore\n",
         "webapp/app.py": "from index.engine import search\n\n\n"
                          "def page():\n    from libnet import store\n"},
    )  # fmt: skip
    graph = module_graph(root)
    assert graph["webapp.app"] == {"index.engine", "libnet.store"}
    assert cycles(graph) == []
    assert table_imports(graph) == []
    assert long_modules(root) == []
    assert wrong_arrows(graph) == []
    assert command_users(graph) == []


def test_a_forbidden_arrow_and_a_user_of_the_command_are_named(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"libnet/cli/__init__.py": "from webapp import app\n",
         "libnet/store.py": "from index import engine\n",
         "index/engine.py": "",
         "webapp/app.py": "from libnet.cli import main\n"},
    )  # fmt: skip
    graph = module_graph(root)
    assert wrong_arrows(graph) == ["libnet.store imports index.engine"]
    assert command_users(graph) == ["webapp.app imports libnet.cli"]
