"""One documented exception root per package: every error a package defines derives from it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOTS = {"nattvakt": "nattvakt.errors.NattvaktError", "privacy": "privacy.errors.PrivacyError",
         "camera_node": "camera_node.errors.CameraNodeError", "central": "central.errors.CentralError"}


def _load(dotted: str) -> type[BaseException]:
    module, _, name = dotted.rpartition(".")
    found: type[BaseException] = getattr(importlib.import_module(module), name)
    return found


def _error_classes(package: str) -> list[str]:
    """Classes named like errors (…Error, …Rejected) that the package's modules define, as dotted names."""
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Rejected")) and node.bases:
                names.append(f"{module}.{node.name}")
    return names


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_error_of_a_package_derives_from_its_documented_root(package: str) -> None:
    root = _load(ROOTS[package])
    errors_module = importlib.import_module(ROOTS[package].rpartition(".")[0])
    assert errors_module.__doc__ and root.__name__ in errors_module.__doc__, "the hierarchy is documented"
    found = _error_classes(package)
    assert found, package
    strays = [name for name in found if not issubclass(_load(name), root)]
    assert strays == []
