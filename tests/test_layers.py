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
