"""Measure how many of the student-written mistakes (student_mistakes.py) the feedback names.

Run: ``.venv/bin/python -m tests.conformance.naming_rate [-v] [--hidden] [--round=N] [KEY ...]`` (~60 s).
``--hidden`` grades with the hidden cases (public and hidden draws) instead of the public ones.
Prints one line per file (named or not, which functions lost points) and the naming rate of
the files used to tune the mistake library and of the held-out ones, separately.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass

from autograder.grading.assignment import find_assignment
from autograder.grading.engine import grade_source
from autograder.grading.report import Report
from autograder.sandbox import Executor, open_executor
from tests.conformance.student_mistakes import STUDENT_MISTAKES, StudentMistake, student_file
from tests.slots import worker_slot

# Sandbox uids of this script, away from the conformance tests' slot (770).
NAMING_RATE_SLOT = worker_slot(771)
HIDDEN_SEED = 424242


@dataclass
class Verdict:
    """How the grader treated one student-written mistake."""

    mistake: StudentMistake
    named: str  # the accepted name given, or ''
    given: list[str]  # every name given in the function's failed checks
    lost: set[str]  # functions that lost points
    report: Report

    @property
    def loses_only_its_own(self) -> bool:
        return self.lost == {self.mistake.function, *self.mistake.also_breaks} or (
            self.mistake.function in self.lost and self.lost <= {self.mistake.function, *self.mistake.also_breaks})


def judge(mistake: StudentMistake, report: Report) -> Verdict:
    """Return the verdict of one graded student file."""
    points: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for test in report.tests:
        points[test.function][0] += test.score
        points[test.function][1] += test.max_score
    lost = {function for function, (got, worth) in points.items() if round(got, 6) < round(worth, 6)}
    given = [test.mistake for test in report.tests
             if test.function == mistake.function and test.status == "failed" and test.mistake]
    named = next((name for name in given if name in mistake.accepted), "")
    return Verdict(mistake=mistake, named=named, given=given, lost=lost, report=report)


def grade_all(executor: Executor, mistakes: list[StudentMistake], mode: str = "public") -> list[Verdict]:
    """Grade every student file in ``mode`` (hidden: with a fixed secret seed)."""
    verdicts = []
    for mistake in mistakes:
        assignment = find_assignment(mistake.assignment)
        seed = HIDDEN_SEED if mode == "hidden" else None
        report = grade_source(assignment, student_file(mistake).encode(), executor, mode=mode, hidden_seed=seed)
        verdicts.append(judge(mistake, report))
    return verdicts


def rate(verdicts: list[Verdict]) -> tuple[int, int]:
    """Return (named, total)."""
    return sum(1 for verdict in verdicts if verdict.named), len(verdicts)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    mode = "hidden" if "--hidden" in argv else "public"
    keys = [arg for arg in argv if not arg.startswith("-")]
    rounds = {int(arg[len("--round="):]) for arg in argv if arg.startswith("--round=")}
    chosen = [mistake for mistake in STUDENT_MISTAKES
              if (not keys or mistake.key in keys) and (not rounds or mistake.round in rounds)]
    executor = open_executor(slot=NAMING_RATE_SLOT)
    try:
        verdicts = grade_all(executor, chosen, mode)
    finally:
        executor.close()
    for verdict in verdicts:
        mark = "named " if verdict.named else "MISSED"
        split = f"{'held-out' if verdict.mistake.held_out else 'tuned'}{verdict.mistake.round}"
        extra = "" if verdict.loses_only_its_own else f"  LOST IN {sorted(verdict.lost)}"
        print(f"{mark} {split:8} {verdict.mistake.key:28} {verdict.mistake.function:26} "
              f"given={sorted(set(verdict.given))}{extra}")
        if verbose and not verdict.named:
            for test in verdict.report.tests:
                if test.function == verdict.mistake.function and test.status == "failed":
                    print(f"    --- {test.name}\n    " + test.output.replace("\n", "\n    "))
    groups = (("tuned (rounds 1, 3, 4, 5 and 6)", False, (1, 3, 4, 5, 6)), ("held-out (round 1)", True, (1,)),
              ("held-out (round 2, written after the freeze)", True, (2,)),
              ("rounds 7 to 9 (each named when first graded or prompting a variant)", False, (7, 8, 9)))
    for label, held_out, rounds_ in groups:
        named, total = rate([verdict for verdict in verdicts
                             if verdict.mistake.held_out == held_out and verdict.mistake.round in rounds_])
        if total:
            print(f"{label}: {named}/{total} named ({100 * named / total:.0f}%)")
    named, total = rate(verdicts)
    print(f"all: {named}/{total} named ({100 * named / total:.0f}%)")
    wrong = [verdict.mistake.key for verdict in verdicts if not verdict.loses_only_its_own]
    print(f"files losing points outside their own functions: {len(wrong)} {wrong if wrong else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
