"""The configuration reference (`docs/configuration.md`), generated from the settings model so it cannot drift.

`python -m nattvakt.config_docs > docs/configuration.md`; a test fails when the committed file is stale.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from nattvakt.settings import ENV_PREFIX, NESTED_DELIMITER, Settings


def _docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Attribute docstrings (the string literal under each field), read from the model's source."""
    tree = ast.parse(inspect.getsource(model))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, tuple):
        return json.dumps(list(value)) if value else "none"
    return f"`{value}`"


def _type(field: FieldInfo) -> str:
    text = str(field.annotation).replace("typing.", "").replace("pathlib.", "").replace("pydantic.types.", "")
    return text.replace("<class '", "").replace("'>", "").replace("|", "\\|")


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    docs = _docstrings(model)
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            continue
        env = f"{prefix}{name.upper()}"
        rows.append(f"| `{env}` | {_type(field)} | {_default(field)} | {docs.get(name, '')} |")
    return rows


def _nested_sections(model: type[BaseModel], prefix: str, title: str) -> list[tuple[str, type[BaseModel], str]]:
    """Every nested section, depth first (e.g. `node`, then `node.rules`)."""
    found: list[tuple[str, type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            path = f"{title}.{name}" if title else name
            nested_prefix = f"{prefix}{name.upper()}{NESTED_DELIMITER}"
            found.append((path, annotation, nested_prefix))
            found += _nested_sections(annotation, nested_prefix, path)
    return found


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from `nattvakt/settings.py` by `python -m nattvakt.config_docs`; do not edit by hand.",
        f"Every setting is an environment variable with the prefix `{ENV_PREFIX}`; a section's settings are nested",
        f"with `{NESTED_DELIMITER}` (for example `{ENV_PREFIX}CENTRAL{NESTED_DELIMITER}PORT=8001`). An invalid value",
        "stops the program at start with one line naming the variable (exit status 2).",
        "",
    ]
    sections: list[tuple[str, type[BaseModel], str]] = [("Shared", Settings, ENV_PREFIX)]
    sections += _nested_sections(Settings, ENV_PREFIX, "")
    for title, model, prefix in sections:
        summary = " ".join((model.__doc__ or "").split())
        lines += [f"## {title}", "", summary, "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        lines += _rows(model, prefix)
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
