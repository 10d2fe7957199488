"""Server-rendered HTML pages (Jinja2, autoescaped): the recipient's own page and the printable reports.

Templates take their words through `jinja2.ext.i18n` (`_("page.hello")`) from `central.i18n`; the callables are
handed to each render, so one shared environment serves both languages from several threads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from central.i18n import Lang, translator, word

TEMPLATES = Path(__file__).parent / "templates"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the personal code is in the URL: never send it to another site
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       extensions=["jinja2.ext.i18n"])


def render(template: str, lang: Lang, **context: Any) -> str:
    gettext = translator(lang)
    return _environment().get_template(template).render(
        lang=lang, _=gettext, gettext=gettext, ngettext=lambda one, many, n: gettext(one if n == 1 else many),
        word=lambda msgid, default: word(lang, msgid, default), **context,
    )
