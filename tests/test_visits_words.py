"""Every word the visits page and the reports build at run time (causes, states, outcomes) is in both catalogues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from central.i18n import LANGUAGES, Lang, console_strings, resolve
from central.visits.policy import CALL_OUTCOMES
from central.visits.service import VISIT_CAUSES, VISIT_OUTCOMES, VisitState

STATIC = Path(__file__).resolve().parent.parent / "central" / "static"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_built_key_has_words(lang: Lang) -> None:
    console = console_strings(lang)
    page = set(re.findall(r'data-i18n="([a-z_]+)"', (STATIC / "visits.html").read_text(encoding="utf-8")))
    wanted = ({f"cause_{c}" for c in VISIT_CAUSES} | {f"visit_outcome_{o}" for o in VISIT_OUTCOMES}
              | {f"visit_state_{s}" for s in get_args(VisitState)} | {f"call_{o}" for o in CALL_OUTCOMES} | page)
    assert sorted(k for k in wanted if k not in console) == []
    report = ({f"report.cause_{c}" for c in VISIT_CAUSES} | {f"report.visit_{o}" for o in VISIT_OUTCOMES}
              | {f"report.call_{o}" for o in CALL_OUTCOMES})
    assert sorted(k for k in report if resolve(lang, k) is None) == []
    assert len(page) >= 6, page
