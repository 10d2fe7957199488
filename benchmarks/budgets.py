"""Reading `benchmarks/budgets.toml`: a missing stage or a value that is not a number is a clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path

BUDGETS_PATH = Path(__file__).resolve().parent / "budgets.toml"
STATISTICS = ("mean_ms", "p50_ms", "p99_ms")


class BudgetError(ValueError):
    """budgets.toml is missing, malformed, or lacks a stage a benchmark needs."""


def load_budgets(section: str, stages: tuple[str, ...], path: Path = BUDGETS_PATH) -> dict[str, dict[str, float]]:
    """Budgets of `section` (e.g. `frames`): stage → statistic → limit in ms."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BudgetError(f"cannot read budgets from {str(path)!r}: {exc}") from exc
    table = document.get(section)
    if not isinstance(table, dict):
        raise BudgetError(f"{str(path)!r} has no [{section}] budgets")
    budgets: dict[str, dict[str, float]] = {}
    for stage in stages:
        limits = table.get(stage)
        if not isinstance(limits, dict) or not limits:
            raise BudgetError(f"{str(path)!r} has no budget for stage {section}.{stage}")
        budgets[stage] = {}
        for statistic, value in limits.items():
            if statistic not in STATISTICS:
                raise BudgetError(f"unknown statistic {section}.{stage}.{statistic}; allowed: {', '.join(STATISTICS)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise BudgetError(f"budget {section}.{stage}.{statistic} must be a positive number, got {value!r}")
            budgets[stage][statistic] = float(value)
    return budgets


def load_limits(section: str, stage: str, keys: tuple[str, ...], path: Path = BUDGETS_PATH) -> dict[str, float]:
    """Limits of `[section.stage]` that are not latencies (a share of a core, a share of a frame rate): each of
    `keys` must be there, a positive number, and nothing else may be."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BudgetError(f"cannot read budgets from {str(path)!r}: {exc}") from exc
    table = document.get(section, {}).get(stage)
    if not isinstance(table, dict):
        raise BudgetError(f"{str(path)!r} has no [{section}.{stage}] budgets")
    if set(table) != set(keys):
        raise BudgetError(f"[{section}.{stage}] must set exactly {', '.join(keys)}; it sets {', '.join(table)}")
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise BudgetError(f"budget {section}.{stage}.{key} must be a positive number, got {value!r}")
    return {key: float(table[key]) for key in keys}
