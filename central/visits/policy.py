"""The escalation chain of one care unit, as configuration, and how it moves: pure functions.

Municipal practice: a person not visible at a check-in is looked at again (the re-look, `central.night.slots`); if
still not visible, staff phone them; no answer (or "needs help") sends the night patrol, who must be there within the
promised time. A unit may add a second re-look or a second call, but the chain is a path that always ends: every
step's successors lie further down, a call that goes unanswered never closes the chain, and a visit ends it.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

StepAction = Literal["relook", "call", "visit"]
CallOutcome = Literal["answered_ok", "answered_needs_help", "no_answer"]
CALL_OUTCOMES: tuple[CallOutcome, ...] = get_args(CallOutcome)
Trigger = Literal["not_visible", "answered_ok", "answered_needs_help", "no_answer"]
CLOSE = "close"
"""The target that ends the chain: the person is fine."""
STEP_NAME = r"^[a-z][a-z0-9_]{0,31}$"
MAX_STEPS = 12


class Step(BaseModel):
    """One step: a re-look (its delay is the night's `relook_after_min`), a call due `within_min`, or a visit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: StepAction
    within_min: float = Field(0.0, ge=0, le=60)
    """For a call: minutes from the step's start until the call is due (0: at once)."""
    on: dict[Trigger, str] = Field(default_factory=dict)
    """What each outcome of this step leads to: another step's name, or `close`."""


class EscalationPolicy(BaseModel):
    """A care unit's chain from its first step; validated so that it cannot loop and cannot drop a person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    promise_min: float = Field(45.0, ge=5, le=180)
    """Minutes from a visit's cause (a fall, a call nobody answered) by which the patrol must be there."""
    first: str = Field("relook", pattern=STEP_NAME)
    """The step a first "not visible" starts."""
    steps: dict[str, Step] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _a_path_that_ends(self) -> EscalationPolicy:
        for name, step in self.steps.items():
            _check_step(name, step, self.steps)
        if self.first not in self.steps:
            raise ValueError(f"first: no step named {self.first!r}")
        if self.steps[self.first].action == "visit":
            raise ValueError("first: a chain starting with a visit needs no chain (a visit is made at once)")
        _check_no_loop(self.steps)
        return self


def _check_step(name: str, step: Step, steps: dict[str, Step]) -> None:
    if not re.fullmatch(STEP_NAME, name):
        raise ValueError(f"steps: {name!r} is not a step name (lower case letters, digits, _)")
    wanted: tuple[str, ...] = {"relook": ("not_visible",), "call": CALL_OUTCOMES, "visit": ()}[step.action]
    if set(step.on) != set(wanted):
        raise ValueError(f"steps.{name}: a {step.action} step must say what follows {sorted(wanted) or 'nothing'}, "
                         f"not {sorted(step.on)}")
    if step.action != "call" and step.within_min:
        raise ValueError(f"steps.{name}: only a call has a delay (within_min); a re-look's is the night's setting")
    for trigger, target in step.on.items():
        if target != CLOSE and target not in steps:
            raise ValueError(f"steps.{name}.on.{trigger}: no step named {target!r}")
    if step.action == "relook" and step.on["not_visible"] == CLOSE:
        raise ValueError(f"steps.{name}.on.not_visible: a person still not visible cannot close the chain")
    if step.action == "call":
        if step.on["no_answer"] == CLOSE:
            raise ValueError(f"steps.{name}.on.no_answer: an unanswered call cannot close the chain")
        helper = step.on["answered_needs_help"]
        if helper == CLOSE or steps[helper].action != "visit":
            raise ValueError(f"steps.{name}.on.answered_needs_help: someone who asks for help gets a visit, "
                             f"not {helper!r}")


def _check_no_loop(steps: dict[str, Step]) -> None:
    """Depth-first search: a step met again on the path it started is a loop."""
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"steps: the chain loops ({' -> '.join((*path[path.index(name):], name))})")
        if name in done:
            return
        for target in steps[name].on.values():
            if target != CLOSE:
                visit(target, (*path, name))
        done.add(name)

    for name in steps:
        visit(name, ())


DEFAULT_POLICY = EscalationPolicy(steps={
    "relook": Step(action="relook", on={"not_visible": "call"}),
    "call": Step(action="call", within_min=5,
                 on={"answered_ok": CLOSE, "answered_needs_help": "visit", "no_answer": "visit"}),
    "visit": Step(action="visit"),
})
"""Göteborg's, Skellefteå's and Kungsbacka's procedure: one re-look, one call, then the patrol within 45 minutes."""


def step_at(policy: EscalationPolicy, not_visible_count: int) -> str | None:
    """The step the `n`th "not visible" in a row leads to (the first starts `first`); None before the first.

    Re-looks are followed on each further "not visible"; the walk stops at the first call or visit, so documenting
    more re-looks after it names the same step again (and a task already made is not made twice).
    """
    if not_visible_count < 1:
        return None
    name = policy.first
    for _ in range(not_visible_count - 1):
        step = policy.steps[name]
        if step.action != "relook":
            break
        name = step.on["not_visible"]
    return name


def after_call(policy: EscalationPolicy, step: str, outcome: CallOutcome) -> str | None:
    """The step a call's outcome leads to; None when it closes the chain."""
    found = policy.steps.get(step)
    if found is None or found.action != "call":
        raise ValueError(f"step {step!r} is not a call of this policy")
    target = found.on[outcome]
    return None if target == CLOSE else target
