"""The suite's data: a loaded assignment and its prepared cases, with no behaviour beyond plain access.

A leaf of autograder.grading: loading (assignment.py, kit.py), preparing (prepare.py),
diagnosing (diagnosis.py), storing (fixtures.py) and judging (engine.py, scoring.py) all
import these classes from here, and nothing here imports them back.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.grading.mistakes import Mistake
from autograder.grading.spec import AssignmentSpec, FunctionSpec
from autograder.sandbox.codec import Ref
from autograder.sandbox.executor import Limits
from autograder.sandbox.program import Call

# --- an assignment folder, loaded ---------------------------------------------------------------

KIT_FIXTURES = "public_cases.npz"


class AssignmentError(Exception):
    """Raised when an assignment folder is missing, incomplete or inconsistent."""


class AssignmentNotFound(AssignmentError, LookupError):
    """Raised when no assignment has the requested name."""


@dataclass(eq=False)
class Assignment:
    """A loaded assignment: its spec, student-facing texts and (trusted) modules.

    A repository assignment has ``reference`` and ``cases`` modules; a starter kit (the
    student's starter kit) has neither and carries its public suite ready-made.
    """

    path: Path
    spec: AssignmentSpec
    version: str
    readme: str
    starter: str
    probes_source: str
    reference: types.ModuleType | None = None
    cases: types.ModuleType | None = None
    probes: dict[str, Any] = field(default_factory=dict)
    mistakes: tuple[Mistake, ...] = ()
    mistake_namespace: dict[str, Any] = field(default_factory=dict)
    kit_suite: PreparedSuite | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def file(self) -> str:
        return self.spec.file

    @property
    def max_score(self) -> float:
        return self.spec.max_score

    @property
    def functions(self) -> tuple[FunctionSpec, ...]:
        return self.spec.functions

    @property
    def limits(self) -> Limits:
        return self.spec.limits.to_limits()

    @property
    def is_kit(self) -> bool:
        return self.kit_suite is not None

    @property
    def reference_source(self) -> str:
        """The reference solution's text (empty for a starter kit)."""
        if self.reference is None:
            return ""
        return (self.path / "reference.py").read_text(encoding="utf-8")


# --- what the trusted side knows of each check's known mistakes (diagnosis.py) ------------------

@dataclass
class VariantCase:
    """A mistake variant's results on one value case, kept because they differ from the reference's."""

    case: int  # position in PreparedCheck.value_cases
    values: list[Any]  # per graded call: the value at the case's compare path (None where there is none)
    errors: list[str]  # per graded call: "" if it returned, else the exception type (or NO_ELEMENT)


@dataclass
class VariantWatch:
    """A by-value argument that a mistake variant modifies, as the variant leaves it."""

    watch: int  # position in PreparedCheck.watches
    after: Any


@dataclass
class CheckVariant:
    """What one named mistake does on the cases of one check."""

    mistake: str
    hint: str
    cases: list[VariantCase] = field(default_factory=list)
    watches: list[VariantWatch] = field(default_factory=list)
    pattern: bool = False  # matched by where it fails, not by its values (Mistake.match == "pattern")


@dataclass
class CaseNotes:
    """What the trusted side knows of one value case beyond its expected values."""

    case: int
    factors: list[list[tuple[str, float]]]  # per graded call: (name, factor) a result may be off by
    results: list[Any] = field(default_factory=list)  # whole reference results when only a part is compared
    steps_per_epoch: int = 0  # training calls: batches per epoch, to place a diverging loss


@dataclass
class CheckDiagnosis:
    """Everything needed to explain a failure of one check, computed when the suite is prepared."""

    variants: list[CheckVariant] = field(default_factory=list)
    notes: list[CaseNotes] = field(default_factory=list)
    averaged: list[str] = field(default_factory=list)  # counts the contract divides this result by ("N", ...)


# --- a prepared suite (prepare.py): call programs and what to compare their results with --------

@dataclass
class ValueCase:
    """A case of a values check: graded calls (global indices) and their expected values."""

    label: str
    hidden: bool
    calls: list[int]
    expected: list[Any]
    descriptions: list[str]
    compare: tuple[int | str, ...] = ()
    rtol: float = 1e-6
    atol: float = 1e-9
    start: int = 0  # global index of the case's first call (to explain a failed set-up call)


@dataclass
class ArgWatch:
    """A by-value argument of a graded call that must come back unchanged (or restored)."""

    call: int
    key: str
    argument: str  # the parameter's name, for messages
    restored: bool
    label: str
    hidden: bool
    description: str
    start: int = 0


@dataclass
class GradEntry:
    """One probed entry: the forward calls at ``x ± h·e_i`` and the reference's objectives there."""

    variable: str
    index: tuple[int, ...]
    plus: int
    minus: int
    reference_plus: float
    reference_minus: float


@dataclass
class GradCase:
    """A gradient check: the analytic call and the probed entries."""

    label: str
    hidden: bool
    analytic: int
    paths: dict[str, tuple[int | str, ...]]
    shapes: dict[str, tuple[int, ...]]
    weights: np.ndarray | None
    h: float
    tolerance: float
    entries: list[GradEntry]
    description: str
    start: int = 0


@dataclass
class PreparedCheck:
    """One check of a function, ready to be judged against the unit's outcomes."""

    name: str
    kind: str
    weight: float
    max_score: float
    value_cases: list[ValueCase] = field(default_factory=list)
    watches: list[ArgWatch] = field(default_factory=list)
    grad_cases: list[GradCase] = field(default_factory=list)
    diagnosis: CheckDiagnosis | None = None  # known mistakes' outputs on these cases (diagnosis.py)


@dataclass
class PreparedFunction:
    """The unit of one graded function: its call program and its checks."""

    name: str
    points: float
    calls: list[Call]
    needs: list[str]
    checks: list[PreparedCheck]
    # Indices (in ``calls``) of the hidden cases' calls: they run in a unit of their own.
    hidden_calls: tuple[int, ...] = ()
    # The reference's own time on the public cases (the function's time limit is derived from it).
    reference_seconds: float = 0.0
    returns: tuple[str, ...] = ()  # contract names of the returned tuple's entries (spec.toml)


@dataclass
class PreparedSuite:
    """Everything needed to grade a submission, without the reference code."""

    assignment: str
    version: str
    mode: str
    functions: list[PreparedFunction]
    # Concatenated call programs by the names of the functions they cover (built on first use).
    # A cache, not part of the suite: not stored in starter kits (fixtures skip init=False fields).
    combined_calls: dict[tuple[str, ...], list[Call]] = field(default_factory=dict, init=False, repr=False,
                                                             compare=False)
    # Each function's program split into its public and its hidden calls (built on first use).
    split_programs: dict[str, tuple[Program, Program]] = field(default_factory=dict, init=False, repr=False,
                                                               compare=False)

    @property
    def reference_seconds(self) -> float:
        """The reference's own time on every public case of the assignment."""
        return sum(function.reference_seconds for function in self.functions)

    def programs(self, function: PreparedFunction) -> tuple[Program, Program]:
        """Return ``function``'s public and hidden programs (calls and their indices in ``function.calls``)."""
        split = self.split_programs.get(function.name)
        if split is None:
            split = split_program(function.calls, set(function.hidden_calls))
            self.split_programs[function.name] = split
        return split


@dataclass(frozen=True)
class Program:
    """Some of a function's calls, as a program of their own: the calls and where they came from."""

    calls: list[Call]
    positions: list[int]


def split_program(calls: list[Call], hidden: set[int]) -> tuple[Program, Program]:
    """Split ``calls`` into the public and the hidden calls, each with its references renumbered.

    A case's calls refer only to calls of the same case, and a case is public or hidden as a whole.
    """
    parts = []
    for wanted in (False, True):
        positions = [index for index in range(len(calls)) if (index in hidden) is wanted]
        renumber = {old: new for new, old in enumerate(positions)}
        parts.append(Program([_renumber_call(calls[index], renumber) for index in positions], positions))
    return parts[0], parts[1]


def _renumber_call(call: Call, renumber: dict[int, int]) -> Call:
    def new_index(old: int) -> int:
        return renumber.get(old, -1)

    return dataclasses.replace(call, args=map_refs(tuple(call.args), new_index),
                               kwargs=map_refs(dict(call.kwargs), new_index))


def map_refs(value: Any, new_index: Callable[[int], int]) -> Any:
    """Return ``value`` with every Ref (also nested in lists, tuples, dicts) pointing at ``new_index(call)``."""
    kind = type(value)
    if kind is Ref:
        return Ref(new_index(value.call), value.path)
    if kind is list:
        return [map_refs(item, new_index) for item in value]
    if kind is tuple:
        return tuple(map_refs(item, new_index) for item in value)
    if kind is dict:
        return {key: map_refs(item, new_index) for key, item in value.items()}
    return value
