"""Single-mistake files written from the contract: points lost only where the mistake is, and named."""

from __future__ import annotations

import pytest

from tests.conformance.naming_rate import judge
from tests.conformance.student_mistakes import STUDENT_MISTAKES, student_file

# One worker: the naming-rate tests grade every file again unless the per-file tests graded it in the
# same process (grade_file keeps each report for the session).
pytestmark = pytest.mark.xdist_group("student-mistakes")

# The bar for files written from the contract: at least 85% named, in every group.
NAMING_RATE = 0.85


def _verdict(mistake, grade_file):
    return judge(mistake, grade_file(mistake.assignment, student_file(mistake), "public"))


def test_keys_are_unique_and_functions_exist(solution_source):
    keys = [mistake.key for mistake in STUDENT_MISTAKES]
    assert len(keys) == len(set(keys))
    for mistake in STUDENT_MISTAKES:
        assert f"def {mistake.function}(" in student_file(mistake), mistake.key


@pytest.mark.parametrize("mistake", STUDENT_MISTAKES, ids=lambda m: m.key)
def test_student_mistake_costs_only_its_own_functions(mistake, grade_file):
    verdict = _verdict(mistake, grade_file)
    assert mistake.function in verdict.lost, f"{mistake.key}: no point lost in {mistake.function}"
    assert verdict.lost <= {mistake.function, *mistake.also_breaks}, (
        f"{mistake.key}: points lost in {sorted(verdict.lost)}")
    # No other function's feedback claims a mistake the file does not make.
    blamed = {test.function for test in verdict.report.tests if test.mistake} - {mistake.function, *mistake.also_breaks}
    assert not blamed, f"{mistake.key}: mistakes named in {sorted(blamed)}"


@pytest.mark.parametrize("held_out", [False, True], ids=["tuned", "held-out"])
def test_most_student_mistakes_are_named(held_out, grade_file):
    chosen = [mistake for mistake in STUDENT_MISTAKES if mistake.held_out == held_out]
    verdicts = [_verdict(mistake, grade_file) for mistake in chosen]
    missed = [f"{v.mistake.key}: given {sorted(set(v.given)) or 'nothing'}" for v in verdicts if not v.named]
    assert len(chosen) >= 40
    assert 1 - len(missed) / len(chosen) >= NAMING_RATE, "\n".join(missed)


# Files not named yet (none today): each is taken off when the library learns its mistake (strict: a file
# named while still listed fails, so the list cannot go stale).
NOT_NAMED_YET: set[str] = set()
# Earlier files named only later: a fixed step of 1e-4 instead of h (round 1, named in round 9), an early
# stop on a small gradient (round 6, named in round 12).
LATE_NAMED = {"numgrad-h-fixed", "r6-gd-early-stop"}


@pytest.mark.parametrize("mistake", [
    pytest.param(m, marks=pytest.mark.xfail(strict=True, reason="not named yet")) if m.key in NOT_NAMED_YET else m
    for m in STUDENT_MISTAKES if m.round in (7, 8, 9) or m.key in LATE_NAMED], ids=lambda m: m.key)
def test_round_seven_to_nine_mistakes_are_named(mistake, grade_file):
    # Rounds 7 and 8 were reported unnamed and prompted a diagnosis fix or a variant; round 9's were named
    # when first graded or prompted a variant; LATE_NAMED ones were unnamed for several rounds: each must
    # stay named.
    verdict = _verdict(mistake, grade_file)
    assert verdict.named, f"{mistake.key}: given {sorted(set(verdict.given)) or 'nothing'}"


@pytest.mark.parametrize("key", ["adam-mutable-default", "rmsprop-mutable-default", "r9-train-grads-per-param"])
def test_module_state_mistakes_are_named_in_hidden_mode_too(key, grade_file):
    # The hidden calls run in a unit of their own, so a mutable default starts empty there again; the
    # variant's results must come from the same two fresh modules, or hidden mode leaves them unnamed.
    mistake = next(m for m in STUDENT_MISTAKES if m.key == key)
    verdict = judge(mistake, grade_file(mistake.assignment, student_file(mistake), "hidden"))
    assert verdict.named, f"{mistake.key}: given {sorted(set(verdict.given)) or 'nothing'}"
