"""Every word central shows, in Swedish (the default) and English, from the gettext catalogues in `central/locale`.

Message ids are keys named for where a string is used: `page.` (the recipient's page and the transparency report),
`report.` (the night report), `followup.` (the printed follow-up), `event.` and `refusal.` (words inside sentences),
`change.` and `actor.` (consent changes as the report tells them), `console.` (the console page; `console.followup.`
its follow-up section). A string worded the same in several places is written once, as `common.<name>`, and a
lookup of `<place>.<name>` that the catalogue lacks falls back to it. The `.po` files are read once at start with
Babel, so there is no compile step and nothing is fetched at run time; `messages.pot` lists every key for
translators. Placeholders are `str.format` fields (`{name}`), filled where the string is used.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

Lang = Literal["sv", "en"]
LANGUAGES: tuple[Lang, ...] = ("sv", "en")
DEFAULT_LANG: Lang = "sv"
LOCALE_DIR = Path(__file__).parent / "locale"
CONSOLE_PREFIX = "console."
COMMON_PREFIX = "common."


def pick_lang(value: str | None) -> Lang:
    return "en" if value == "en" else DEFAULT_LANG


def catalogue_path(lang: Lang) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: Lang) -> dict[str, str]:
    """Message id -> translation, for the ids the language's catalogue translates."""
    with catalogue_path(lang).open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in parsed if m.id and isinstance(m.id, str) and m.string}


def resolve(lang: Lang, msgid: str) -> str | None:
    """The id that holds `msgid`'s words: itself, else the shared `common.<name>`; None when neither is there."""
    words = catalogue(lang)
    if msgid in words:
        return msgid
    shared = COMMON_PREFIX + msgid.rsplit(".", 1)[-1]
    return shared if shared in words else None


def word(lang: Lang, msgid: str, default: str) -> str:
    """`msgid` in `lang`, or `default` when the catalogue has no such string (an event kind added later)."""
    found = resolve(lang, msgid)
    return catalogue(lang)[found] if found is not None else default


def gettext(lang: Lang, msgid: str) -> str:
    """`msgid` in `lang`; the id itself when it is missing (the catalogue tests keep that from happening)."""
    return word(lang, msgid, msgid)


def translator(lang: Lang) -> Callable[[str], str]:
    """`gettext` bound to one language, as the Jinja2 i18n extension calls it (`_("page.hello")`)."""
    return lambda msgid: gettext(lang, msgid)


def console_strings(lang: Lang) -> dict[str, str]:
    """The console page's strings by the names its scripts use: the shared `common.` ones and the `console.` ones
    without their prefix (`console.followup.csv` is `followup.csv`); a console string wins over a shared one."""
    words = catalogue(lang)
    shared = {k.removeprefix(COMMON_PREFIX): v for k, v in words.items() if k.startswith(COMMON_PREFIX)}
    own = {k.removeprefix(CONSOLE_PREFIX): v for k, v in words.items() if k.startswith(CONSOLE_PREFIX)}
    return dict(sorted((shared | own).items()))


def actor_words(actor: str, lang: Lang) -> str:
    """Who did it, as the report shows it; `recipient` is whoever used the personal link."""
    return gettext(lang, "actor.recipient") if actor == "recipient" else actor


def change_words(change: str, lang: Lang) -> str:
    """A stored change description (English) in `lang`."""
    if change.endswith(" by recipient"):
        change = change.removesuffix("recipient") + actor_words("recipient", lang)
    for msgid, words in catalogue(lang).items():
        if msgid.startswith("change."):
            change = change.replace(msgid.removeprefix("change."), words)
    return change
