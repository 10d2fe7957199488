"""docs/: the configuration reference is generated from the settings model and must not go stale; `/docs` (the API's
Swagger UI) works without the internet."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from pydantic import BaseModel

from nattvakt.config_docs import render
from nattvakt.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_configuration_reference_matches_the_settings_model() -> None:
    committed = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert committed == render(), "regenerate: python -m nattvakt.config_docs > docs/configuration.md"


def _variables(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names += _variables(nested, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented_with_a_meaning() -> None:
    text = render()
    for env in _variables(Settings, "NATTVAKT_"):
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{env}` |")]
        assert not row.endswith("|  |"), f"{env} has no docstring in nattvakt/settings.py"


def test_operations_documents_exist_and_link_what_they_name() -> None:
    for name in ("configuration.md", "node-install.md", "backup-restore.md", "key-rotation.md", "alarms.md",
                 "security.md"):
        assert (DOCS / name).stat().st_size > 500, name
    for document in DOCS.glob("*.md"):
        for linked in ("configuration.md", "key-rotation.md", "alarms.md"):
            if f"`{linked}`" in document.read_text(encoding="utf-8"):
                assert (DOCS / linked).exists()


async def test_swagger_ui_is_served_from_central_with_no_cdn(client: httpx.AsyncClient) -> None:
    """`/docs` on an air-gapped site: the page names only central's own files, and central serves them."""
    page = await client.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.replace("https://fastapi.tiangolo.com", "")
    for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', page.text):
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 500, asset
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Nattvakt console"
