"""The escalation chain as configuration: what a unit may set, what is refused, and how a chain moves."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from central.visits.policy import DEFAULT_POLICY, EscalationPolicy, after_call, step_at

RING = {"answered_ok": "close", "answered_needs_help": "go", "no_answer": "go"}
BASE: dict[str, Any] = {"first": "look", "steps": {
    "look": {"action": "relook", "on": {"not_visible": "look2"}},
    "look2": {"action": "relook", "on": {"not_visible": "ring"}},
    "ring": {"action": "call", "within_min": 2, "on": {**RING, "no_answer": "ring2"}},
    "ring2": {"action": "call", "within_min": 10, "on": RING},
    "go": {"action": "visit"}}}


def _with(**steps: Any) -> dict[str, Any]:
    return {**BASE, "steps": {**BASE["steps"], **steps}}


def test_the_default_is_the_municipal_procedure() -> None:
    assert DEFAULT_POLICY.promise_min == 45
    assert [step_at(DEFAULT_POLICY, n) for n in (0, 1, 2, 3, 9)] == [None, "relook", "call", "call", "call"]
    assert DEFAULT_POLICY.steps["call"].within_min == 5
    assert [after_call(DEFAULT_POLICY, "call", o) for o in ("answered_ok", "answered_needs_help", "no_answer")] == [
        None, "visit", "visit"]


def test_a_unit_may_look_twice_and_call_twice() -> None:
    policy = EscalationPolicy.model_validate(BASE)
    assert [step_at(policy, n) for n in (1, 2, 3, 4)] == ["look", "look2", "ring", "ring"]
    assert after_call(policy, "ring", "no_answer") == "ring2" and after_call(policy, "ring2", "no_answer") == "go"
    with pytest.raises(ValueError, match="not a call"):
        after_call(policy, "look", "no_answer")
    direct = EscalationPolicy.model_validate({"first": "ring", "steps": {
        "ring": {"action": "call", "on": RING}, "go": {"action": "visit"}}})
    assert step_at(direct, 1) == "ring", "a unit may call at the first 'not visible'"


@pytest.mark.parametrize(("body", "words"), [
    (_with(look2={"action": "relook", "on": {"not_visible": "look"}}), "loops (look -> look2 -> look)"),
    (_with(ring2={"action": "call", "on": {**RING, "no_answer": "ring"}}), "loops (ring -> ring2 -> ring)"),
    (_with(look={"action": "relook", "on": {"not_visible": "look"}}), "loops (look -> look)"),
    (_with(ring={"action": "call", "on": {**RING, "no_answer": "close"}}), "unanswered call cannot close"),
    (_with(ring={"action": "call", "on": {**RING, "answered_needs_help": "close"}}), "gets a visit"),
    (_with(ring={"action": "call", "on": {**RING, "answered_needs_help": "ring2"}}), "gets a visit"),
    (_with(look={"action": "relook", "on": {"not_visible": "close"}}), "cannot close the chain"),
    (_with(ring={"action": "call", "within_min": 61, "on": RING}), "less than or equal to 60"),
    (_with(ring={"action": "call", "within_min": -1, "on": RING}), "greater than or equal to 0"),
    (_with(look={"action": "relook", "within_min": 5, "on": {"not_visible": "ring"}}), "only a call has a delay"),
    (_with(ring={"action": "call", "on": {"answered_ok": "close", "no_answer": "go"}}), "must say what follows"),
    (_with(go={"action": "visit", "on": {"not_visible": "look"}}), "must say what follows"),
    (_with(look={"action": "relook", "on": {"not_visible": "nowhere"}}), "no step named 'nowhere'"),
    (_with(Ring={"action": "visit"}), "not a step name"),
    ({**BASE, "first": "go"}, "starting with a visit"),
    ({**BASE, "first": "none"}, "no step named 'none'"),
    ({**BASE, "promise_min": 4}, "greater than or equal to 5"),
    ({**BASE, "promise_min": 181}, "less than or equal to 180"),
    ({**BASE, "steps": {}}, "at least 1"),
    ({**BASE, "steps": {f"s{i}": {"action": "visit"} for i in range(13)}}, "at most 12"),
    ({**BASE, "extra": 1}, "Extra inputs"),
])
def test_a_chain_that_could_loop_stall_or_drop_someone_is_refused(body: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EscalationPolicy.model_validate(body)
    assert words in str(refused.value)
