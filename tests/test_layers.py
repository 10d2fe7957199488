"""The layout's rules, read from the imports (ast): a router never imports another router."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, at any depth (functions too), as absolute dotted names."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def is_router(module: str) -> bool:
    return module.rsplit(".", 1)[-1].endswith("router")


def test_no_router_imports_another_router() -> None:
    offences = [
        f"{module_name(path)} imports {target}"
        for path in sorted((ROOT / "central").rglob("*.py"))
        for target in imported_modules(path)
        if target.startswith("central.") and is_router(target) and target != module_name(path)
        and is_router(module_name(path))
    ]
    assert offences == []


def test_routers_are_found() -> None:
    routers = [module_name(p) for p in (ROOT / "central").rglob("*router.py")]
    assert len(routers) >= 10, routers


# --- floors: the ground floor (shared vocabulary) imports nothing of ours above it ------------------------------

TOP = ("nattvakt.cli", "nattvakt.demo", "nattvakt.__main__", "benchmarks", "tests", "models")
"""The top floor composes everything: the command line, the demo, benchmarks, tests and model scripts."""
FLOORS = {"nattvakt": 0, "privacy": 1, "camera_node": 2, "central": 2}
"""Ground (types, event schema, wire format, geometry, settings) < privacy < the two deployables."""
FLOOR_NAMES = {0: "ground", 1: "privacy", 2: "feature", 3: "top"}
APART = ({"camera_node", "central"},)
"""Packages on one floor that must not import each other (they meet only through the ground floor)."""


def floor(module: str) -> int | None:
    if any(module == top or module.startswith(top + ".") for top in TOP):
        return 3
    return FLOORS.get(module.split(".", 1)[0])


def our_files() -> list[Path]:
    return sorted(p for package in ("nattvakt", "privacy", "camera_node", "central", "benchmarks", "tests", "models")
                  for p in (ROOT / package).rglob("*.py"))


def test_no_import_runs_up_a_floor() -> None:
    offences = []
    for path in our_files():
        here = module_name(path)
        mine = floor(here)
        assert mine is not None, here
        for target in imported_modules(path):
            theirs = floor(target)
            if theirs is None:
                continue
            if theirs > mine:
                offences.append(f"{here} ({FLOOR_NAMES[mine]}) imports {target} ({FLOOR_NAMES[theirs]})")
            packages = {here.split(".", 1)[0], target.split(".", 1)[0]}
            if mine < 3 and any(packages == apart for apart in APART):
                offences.append(f"{here} imports {target}: they meet only through the ground floor")
    assert offences == []


def test_the_walk_sees_an_upward_import() -> None:
    assert [floor("nattvakt.events"), floor("privacy.audit"), floor("camera_node.node"), floor("nattvakt.cli")] == [
        0, 1, 2, 3]
    assert "central.app" in set(imported_modules(ROOT / "nattvakt" / "cli.py")), "imports inside functions count"
