"""An assignment author's self-check: run the folder's own code in-process and list what is wrong.

Trusted side only. The reference, starter, cases, probes and mistakes are the course's own code,
so they run in this process, through the engine's own preparation (``prepare_suite``) and
judging (``judge_function``, hence ``compare.py``) exactly as a graded submission's outcomes
would be judged. Student code never comes here: it is graded by ``grade_source`` in a sandbox.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.grading.assignment import Assignment, AssignmentError
from autograder.grading.cases import Case, GradCheck
from autograder.grading.diagnosis import snapshot_run, variant_namespace
from autograder.grading.prepare import PreparationError, check_seed, prepare_suite
from autograder.grading.report import FAILED, TestResult
from autograder.grading.scoring import judge_function
from autograder.grading.suite import PreparedFunction, PreparedSuite
from autograder.grading.trivial import trivial_functions
from autograder.sandbox import codec
from autograder.sandbox.executor import OK, UnitOutcome

# Hidden draws the self-check prepares besides the public one: cases must hold for any seed.
DEFAULT_HIDDEN_SEEDS = (7,)

CASES, REFERENCE, STARTER, MISTAKES, TRIVIAL = "cases", "reference", "starter", "mistakes", "trivial"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an assignment folder, in the words an author can act on."""

    part: str  # CASES, REFERENCE, STARTER, MISTAKES or TRIVIAL
    subject: str  # the check ("mse: random shapes"), function or mistake ("mse: sum instead of mean")
    message: str


@dataclass
class MistakeVerdict:
    """What the engine's judging makes of one named mistake."""

    function: str
    name: str
    caught_by: list[str] = field(default_factory=list)  # checks with points of its function it fails (public)
    also_failed: list[str] = field(default_factory=list)  # checks of other functions it fails (also_breaks aside)


@dataclass
class Draw:
    """What one case generator produced for one check, seeded as prepare_suite seeds it."""

    function: str
    check: str
    kind: str
    seed: int
    items: list[Any]  # Case objects (values checks) or GradCheck objects (gradient checks)


@dataclass
class SelfCheckReport:
    """The outcome of ``check_assignment``: the problems found and how each mistake fared."""

    assignment: str
    suites: list[str] = field(default_factory=list)  # "public", "hidden seed 7", ...
    problems: list[Problem] = field(default_factory=list)
    mistakes: list[MistakeVerdict] = field(default_factory=list)
    # Checks whose generator ignores its rng (fixed edge cases): their hidden cases repeat the public ones.
    fixed_generators: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def problems_about(self, subject: str) -> list[Problem]:
        """Return the problems whose subject is ``subject``."""
        return [problem for problem in self.problems if problem.subject == subject]


def draw_cases(assignment: Assignment, mode: str = "public", hidden_seed: int | None = None) -> list[Draw]:
    """Run every case generator of ``assignment`` with the seed prepare_suite gives its check.

    Returns one Draw per generator-backed check, in spec order (the hidden draw only, for
    mode="hidden"). Raises AssignmentError for a starter kit; lets a generator's exception through.
    """
    _require_repository(assignment)
    draws = []
    index = 0
    for function in assignment.functions:
        for check in function.checks:
            if check.kind != "unchanged":
                seed = check_seed(assignment.spec.public_seed, index, mode, hidden_seed, assignment.name)
                items = getattr(assignment.cases, check.cases)(np.random.default_rng(seed))
                draws.append(Draw(function=function.name, check=check.name, kind=check.kind, seed=seed,
                                  items=list(items)))
            index += 1
    return draws


def grade_in_process(assignment: Assignment, suite: PreparedSuite, namespace: Mapping[str, Any],
                     functions: Sequence[str] | None = None) -> list[TestResult]:
    """Judge TRUSTED code in ``namespace`` (a module's globals) on ``suite`` without a sandbox.

    Returns the TestResults grade_source would give, for ``functions`` (default: all). Only for
    the course's own code: reference, starter, mistake variants, an author's alternative solution.
    """
    results = []
    for function in suite.functions:
        if functions is None or function.name in functions:
            results += judge_function(function, run_in_process(assignment, function, namespace))
    return results


def run_in_process(assignment: Assignment, function: PreparedFunction, namespace: Mapping[str, Any]) -> UnitOutcome:
    """Run ``function``'s call program against TRUSTED code in ``namespace``; return the unit's outcome."""
    calls = snapshot_run(namespace, function.calls, assignment.probes, str(namespace.get("__file__", "<in-process>")))
    return UnitOutcome(status=OK, calls=calls)


def check_assignment(assignment: Assignment, hidden_seeds: Sequence[int] = DEFAULT_HIDDEN_SEEDS) -> SelfCheckReport:
    """Self-check a repository assignment folder: cases, reference, starter and named mistakes.

    Returns a SelfCheckReport (empty ``problems`` when all is well); never prints. Raises
    AssignmentError for a starter kit, which has no reference to check.
    """
    _require_repository(assignment)
    started = time.perf_counter()
    report = SelfCheckReport(assignment=assignment.name)
    suites: dict[str, PreparedSuite] = {}
    for label, mode, seed in [("public", "public", None), *((f"hidden seed {s}", "hidden", s) for s in hidden_seeds)]:
        try:
            suites[label] = prepare_suite(assignment, mode, seed)
        except PreparationError as error:
            report.problems.append(Problem(CASES, label, str(error)))
    report.suites = list(suites)
    _check_generators(assignment, report)
    _check_reference_calls(assignment, report)
    if "public" in suites:
        for label, suite in suites.items():
            _check_expected_values(suite, label, report)
            _check_reference(assignment, suite, label, report)
        _check_starter(assignment, suites["public"], report)
        _check_trivial(assignment, suites, report)
        _check_mistakes(assignment, suites, report)
    report.seconds = time.perf_counter() - started
    return report


def _require_repository(assignment: Assignment) -> None:
    if assignment.reference is None or assignment.cases is None:
        raise AssignmentError(f"{assignment.name} is a starter kit: the self-check needs the repository folder "
                              "with reference.py and cases.py")


# --- cases ----------------------------------------------------------------------------------


def _fingerprint(item: Any, with_labels: bool = True) -> bytes:
    """Encode what a generated Case or GradCheck asks for, as the wire would carry it."""
    if isinstance(item, Case):
        plain: list[Any] = [[call.to_plain() for call in item.calls]]
        if with_labels:
            plain += [item.label, item.graded, tuple(item.compare), item.rtol, item.atol,
                      sorted(item.mutable), sorted(item.restored)]
    elif isinstance(item, GradCheck):
        inputs = {name: np.array(value, dtype=np.float64) for name, value in item.inputs.items()}
        plain = [inputs, [call.to_plain() for call in item.analytic], item.forward(inputs).to_plain(), item.weights]
        if with_labels:
            plain += [item.label, {name: tuple(path) for name, path in item.gradient_paths.items()}, item.h,
                      item.tolerance, item.entries]
    else:
        plain = [repr(type(item))]
    return codec.encode(plain)


def _check_generators(assignment: Assignment, report: SelfCheckReport) -> None:
    """Each generator gives the same cases for the same seed; note those that give the same for any seed."""
    try:
        first, again = draw_cases(assignment), draw_cases(assignment)
        other = draw_cases(assignment, "hidden", hidden_seed=0)
    except Exception as error:  # prepare_suite has already named the generator that raised
        if not report.problems:
            report.problems.append(Problem(CASES, "", f"a generator raised {type(error).__name__}: {error}"))
        return
    for draw, repeat, reseeded in zip(first, again, other):
        subject = f"{draw.function}: {draw.check}"
        if [_fingerprint(item) for item in draw.items] != [_fingerprint(item) for item in repeat.items]:
            report.problems.append(Problem(CASES, subject, "the generator is not deterministic: the same seed gave "
                                                           "different cases (draw everything from its rng)"))
        elif [_fingerprint(item, False) for item in draw.items] == [_fingerprint(item, False)
                                                                    for item in reseeded.items]:
            report.fixed_generators.append(subject)


def _non_finite(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_non_finite(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(item) for item in value)
    array = np.asarray(value)
    return array.dtype.kind in "fc" and not bool(np.all(np.isfinite(array)))


def _check_expected_values(suite: PreparedSuite, label: str, report: SelfCheckReport) -> None:
    """Every expected value and every reference objective of a gradient check is finite."""
    for function in suite.functions:
        for check in function.checks:
            subject = f"{function.name}: {check.name}"
            for case in check.value_cases:
                if any(_non_finite(value) for value in case.expected):
                    report.problems.append(Problem(CASES, subject, f"{label}: the reference gives NaN or inf on "
                                                                   f"case {case.label or '(hidden)'}"))
            for grad_case in check.grad_cases:
                if not all(np.isfinite([entry.reference_plus, entry.reference_minus]).all()
                           for entry in grad_case.entries):
                    report.problems.append(Problem(CASES, subject, f"{label}: the reference's objective is NaN or "
                                                                   f"inf on gradient check {grad_case.label}"))


# --- reference and starter ------------------------------------------------------------------


def _first_line(test: TestResult) -> str:
    return " / ".join(line for line in test.output.splitlines()[:3] if line.strip())


def _check_reference(assignment: Assignment, suite: PreparedSuite, label: str, report: SelfCheckReport) -> None:
    """The reference passes every check, gradient checks and "arguments unchanged" included."""
    for test in grade_in_process(assignment, suite, vars(assignment.reference)):
        # Gradient checks run on the public draw in every suite: name each failing check once.
        if test.status == FAILED and not report.problems_about(test.name):
            report.problems.append(Problem(REFERENCE, test.name, f"{label}: the reference fails: {_first_line(test)}"))


def _check_reference_calls(assignment: Assignment, report: SelfCheckReport) -> None:
    """No graded reference function calls another: a variant replacing one must change only that one."""
    graded = {function.name for function in assignment.functions}
    for name in sorted(graded):
        called = set(getattr(assignment.reference, name).__code__.co_names) & (graded - {name})
        if called:
            report.problems.append(Problem(REFERENCE, name, f"calls {', '.join(sorted(called))}: use a private "
                                                            "helper so that each function is graded on its own"))


def _parameters(function: Callable[..., Any], with_defaults: bool) -> list[tuple[Any, ...]]:
    return [(parameter.name, parameter.kind, parameter.default) if with_defaults else (parameter.name,)
            for parameter in inspect.signature(function).parameters.values()]


def _check_starter(assignment: Assignment, suite: PreparedSuite, report: SelfCheckReport) -> None:
    """Each starter function has the reference's signature and a docstring, and raises NotImplementedError."""
    starter: dict[str, Any] = {"__name__": f"_autograder_starter_{assignment.name}", "__file__": "starter.py"}
    try:
        exec(compile(assignment.starter, "starter.py", "exec"), starter)  # our own file, trusted side
    except Exception as error:
        report.problems.append(Problem(STARTER, "", f"starter.py fails to load: {type(error).__name__}: {error}"))
        return
    for function in suite.functions:
        stub, reference = starter.get(function.name), getattr(assignment.reference, function.name)
        if not callable(stub):
            report.problems.append(Problem(STARTER, function.name, "not defined"))
            continue
        if _parameters(stub, True) != _parameters(reference, True):
            report.problems.append(Problem(STARTER, function.name, f"signature {inspect.signature(stub)} differs from "
                                                                   f"the reference's {inspect.signature(reference)}"))
        if not (stub.__doc__ or "").strip():
            report.problems.append(Problem(STARTER, function.name, "has no docstring to tell students what to do"))
        # Set-up calls of other functions come from the reference, so each stub is reached.
        namespace = dict(vars(assignment.reference), **{function.name: stub})
        outcome = run_in_process(assignment, function, namespace)
        errors = {result.error_type for call, result in zip(function.calls, outcome.calls)
                  if call.function == function.name}
        if errors - {"NotImplementedError", "GraderError"} or "NotImplementedError" not in errors:
            shown = ", ".join(sorted(error or "a result" for error in errors))
            report.problems.append(Problem(STARTER, function.name,
                                           f"should raise NotImplementedError on every case, gave {shown}"))


# --- trivial implementations -----------------------------------------------------------------


@dataclass(frozen=True)
class TrivialVerdict:
    """The checks (with points) a do-nothing implementation of one function passes in one suite."""

    function: str
    kind: str  # "returns None", "returns 0.0", ... (trivial.TRIVIAL_KINDS)
    earned: tuple[str, ...]


def _starter_namespace(assignment: Assignment) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"_autograder_starter_{assignment.name}", "__file__": "starter.py"}
    try:
        exec(compile(assignment.starter, "starter.py", "exec"), namespace)  # our own file, trusted side
    except Exception:  # reported by _check_starter
        return {}
    return namespace


def trivial_verdicts(assignment: Assignment, suite: PreparedSuite) -> list[TrivialVerdict]:
    """Grade every trivial implementation of every function of ``suite`` in place of the reference's.

    Returns one TrivialVerdict per (function, kind); ``earned`` must be empty for all of them.
    """
    _require_repository(assignment)
    starter = _starter_namespace(assignment)
    verdicts = []
    for function in suite.functions:
        reference = getattr(assignment.reference, function.name)
        for kind, trivial in trivial_functions(reference, starter.get(function.name)):
            namespace = dict(vars(assignment.reference), **{function.name: trivial})
            earned = tuple(test.check for test in grade_in_process(assignment, suite, namespace, [function.name])
                           if test.score > 0)
            verdicts.append(TrivialVerdict(function=function.name, kind=kind, earned=earned))
    return verdicts


def _check_trivial(assignment: Assignment, suites: dict[str, PreparedSuite], report: SelfCheckReport) -> None:
    """No implementation that does nothing (returns None, 0.0, zeros, its input...) earns a point."""
    for label, suite in suites.items():
        for verdict in trivial_verdicts(assignment, suite):
            if verdict.earned and not report.problems_about(f"{verdict.function}: {verdict.kind}"):
                report.problems.append(Problem(TRIVIAL, f"{verdict.function}: {verdict.kind}",
                                               f"{label}: earns points on {', '.join(verdict.earned)}: add a case "
                                               "that an implementation doing nothing fails"))


# --- mistakes -------------------------------------------------------------------------------


def _check_mistakes(assignment: Assignment, suites: dict[str, PreparedSuite], report: SelfCheckReport) -> None:
    """Each mistake fails a public check of its function and no check of another (also_breaks aside)."""
    for mistake in assignment.mistakes:
        subject = f"{mistake.function}: {mistake.name}"
        verdict = MistakeVerdict(function=mistake.function, name=mistake.name)
        report.mistakes.append(verdict)
        try:
            namespace = variant_namespace(assignment, mistake)
        except Exception as error:
            report.problems.append(Problem(MISTAKES, subject, f"the variant file cannot be built: "
                                                              f"{type(error).__name__}: {error}"))
            continue
        variant = assignment.mistake_namespace[mistake.implementation]
        if _parameters(variant, False) != _parameters(getattr(assignment.reference, mistake.function), False):
            report.problems.append(Problem(MISTAKES, subject, f"{mistake.implementation}{inspect.signature(variant)} "
                                                              f"does not take the parameters of {mistake.function}"))
        affected = {mistake.function, *mistake.also_breaks}
        for label, suite in suites.items():
            # The public draw decides whether it is caught and runs every function. Other draws rerun
            # only the functions whose programs call the mistaken one: the rest run unchanged code.
            names = None if label == "public" else [f.name for f in suite.functions
                                                     if f.name not in affected and mistake.function in f.needs]
            for test in grade_in_process(assignment, suite, namespace, names):
                if test.status != FAILED or test.max_score <= 0:  # weight-0 gradient checks are diagnostics
                    continue
                if test.function == mistake.function:
                    verdict.caught_by.append(test.check)
                elif test.function not in affected and test.name not in verdict.also_failed:
                    verdict.also_failed.append(test.name)
        if not verdict.caught_by:
            report.problems.append(Problem(MISTAKES, subject, f"passes every public check of {mistake.function}: "
                                                              "add a case on which it differs from the reference"))
        if verdict.also_failed:
            report.problems.append(Problem(MISTAKES, subject, f"also fails {', '.join(verdict.also_failed)}: one "
                                                              "mistake must cost only its function's points "
                                                              "(or declare also_breaks)"))
