"""The packages' arrows: libnet imports none of the others (but libnet/cli/), no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ROOT / "libnet" / "cli"  # the top floor: it wires the stages together
PACKAGES = ("libnet", "harvesters", "index", "webapp")
ALLOWED = {
    "libnet": {"libnet"},
    "harvesters": {"libnet", "harvesters"},
    "index": {"libnet", "index"},
    "webapp": {"libnet", "index", "webapp"},
}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_every_import_follows_the_arrows() -> None:
    wrong = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.is_relative_to(COMMAND):
                continue
            for target in imported_packages(path) - ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not wrong, wrong


def test_nothing_imports_the_command() -> None:
    users = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(COMMAND) and "libnet.cli" in path.read_text()
    ]
    assert not users
