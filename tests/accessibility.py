"""axe-core in the browser tests: injected into the page under test, no serious or critical violation allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
"""axe-core, vendored (see tests/vendor/README.md): nothing is downloaded when the tests run."""

RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary || ""}`) }));
}"""


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (CSP does not apply to evaluate)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"{where}: axe-core found serious or critical violations: {problems}"
