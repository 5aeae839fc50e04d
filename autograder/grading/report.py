"""Grading results: one TestResult per check, a Report per submission, Gradescope-shaped JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import autograder

PASSED = "passed"
FAILED = "failed"
# A check that failed on hidden cases only is HIDDEN: the service shows why when the course says so.
VISIBLE = "visible"
HIDDEN = "hidden"


def grader_version(assignment_version: str) -> str:
    """Return the version string of this grader for one assignment version.

    The package's own ``__version__`` (tests/grading/test_engine.py keeps it equal to the
    installed metadata's): importlib.metadata would cost `grade` 15 ms of imports.
    """
    return f"{autograder.__version__}+{assignment_version[:12]}"


@dataclass
class TestResult:
    """The verdict of one check of one function (a line of the report)."""

    __test__ = False  # not a pytest test class

    name: str  # "mse: random shapes"
    function: str  # the contract's function name
    check: str
    score: float
    max_score: float
    status: str  # "passed" or "failed"
    output: str = ""
    visibility: str = VISIBLE
    kind: str = "values"
    mistake: str = ""  # name of the known mistake the diagnosis recognised, if any

    def to_json(self) -> dict[str, Any]:
        """Return this result as one entry of Gradescope's ``tests`` list."""
        entry = {
            "name": self.name,
            "function": self.function,
            "check": self.check,
            "kind": self.kind,
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "status": self.status,
            "output": self.output,
            "visibility": self.visibility,
        }
        if self.mistake:
            entry["mistake"] = self.mistake
        return entry


@dataclass
class Report:
    """Everything a student (or the service) learns about one submission."""

    assignment: str
    version: str
    mode: str
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # about the file as a whole
    isolation: str = ""
    seconds: float = 0.0
    waited_seconds: float = 0.0  # of ``seconds``, the sandbox's wait for a CPU (not charged to the budget)

    @property
    def score(self) -> float:
        """Points earned, rounded to remove float noise from weight splits."""
        return round(sum(test.score for test in self.tests), 6)

    @property
    def full_marks(self) -> bool:
        """True when every check that is worth points passed (diagnostic lines aside)."""
        return all(test.status == PASSED for test in self.tests if test.max_score > 0) and self.score >= round(self.max_score, 6)

    @property
    def grader_version(self) -> str:
        return grader_version(self.version)

    def function_score(self, function: str) -> float:
        """Points earned by one function."""
        return round(sum(test.score for test in self.tests if test.function == function), 6)

    def to_json(self) -> dict[str, Any]:
        """Return the Gradescope-shaped results dict (``score``, ``max_score``, ``tests``, ...)."""
        return {
            "score": self.score,
            "max_score": round(self.max_score, 6),
            "output": "\n".join(self.messages),
            "tests": [test.to_json() for test in self.tests],
            "assignment": self.assignment,
            "grader_version": self.grader_version,
            "mode": self.mode,
            "isolation": self.isolation,
            "execution_time": round(self.seconds, 3),
        }
