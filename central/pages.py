"""Server-rendered HTML pages (Jinja2, autoescaped): the recipient's own page and the transparency report."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from central.page_text import EVENT_WORDS, TEXT, Lang

TEMPLATES = Path(__file__).parent / "templates"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the personal code is in the URL: never send it to another site
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def render(template: str, lang: Lang, **context: Any) -> str:
    t = TEXT[lang]
    return _environment().get_template(template).render(t=t, lang=lang, events=EVENT_WORDS[lang], **context)
