"""Load and validate an assignment's ``spec.toml`` into typed records."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.sandbox.executor import Limits

CHECK_KINDS = ("values", "unchanged", "gradcheck")
DEFAULT_MAX_FILE_BYTES = 200_000
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9


class SpecError(ValueError):
    """Raised when a spec.toml is malformed or does not match the assignment's files."""


@dataclass(frozen=True)
class CheckSpec:
    """One graded check of a function (a line of the report)."""

    name: str
    kind: str
    weight: float
    cases: str = ""  # generator name in cases.py; empty for "unchanged"
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the contract with its points and checks."""

    name: str
    points: float
    checks: tuple[CheckSpec, ...]
    returns: tuple[str, ...] = ()  # contract names of a returned tuple's entries, for feedback

    @property
    def total_weight(self) -> float:
        """Sum of the check weights (the denominator of each check's share)."""
        return sum(check.weight for check in self.checks)


@dataclass(frozen=True)
class LimitsSpec:
    """Resource limits of a submission's sandbox units.

    A function's wall-clock limit is derived from the reference's own time on its cases:
    ``max(function_seconds, reference_factor * reference)``, never above ``wall_seconds``.
    The whole submission (every unit, public and hidden) gets
    ``max(submission_seconds, budget_factor * reference time of the whole file)``.
    """

    wall_seconds: float = 10.0
    cpu_seconds: float = 10.0
    memory_mb: int = 1024
    function_seconds: float = 1.0
    reference_factor: float = 50.0
    submission_seconds: float = 3.0
    budget_factor: float = 150.0

    def function_limit(self, reference_seconds: float) -> float:
        """The wall-clock limit of a function whose reference took ``reference_seconds``."""
        return min(self.wall_seconds, max(self.function_seconds, self.reference_factor * reference_seconds))

    def submission_budget(self, reference_seconds: float) -> float:
        """The wall-clock budget of a whole submission whose reference took ``reference_seconds``."""
        return max(self.submission_seconds, self.budget_factor * reference_seconds)

    def to_limits(self) -> Limits:
        """Return the sandbox limits these settings describe."""
        return Limits(wall_seconds=self.wall_seconds, cpu_seconds=self.cpu_seconds,
                      memory_bytes=self.memory_mb << 20)


@dataclass(frozen=True)
class AssignmentSpec:
    """The whole spec.toml."""

    name: str
    title: str
    file: str
    public_seed: int
    functions: tuple[FunctionSpec, ...]
    limits: LimitsSpec = LimitsSpec()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    @property
    def max_score(self) -> float:
        """Points available in total."""
        return sum(function.points for function in self.functions)

    def function(self, name: str) -> FunctionSpec:
        """Return the function called ``name``; raise KeyError if the spec has none."""
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(name)


_TOP_KEYS = {"name", "title", "file", "public_seed", "max_file_bytes", "limits", "functions"}
_LIMIT_KEYS = {"wall_seconds", "cpu_seconds", "memory_mb", "function_seconds", "reference_factor",
               "submission_seconds", "budget_factor"}
_FUNCTION_KEYS = {"name", "points", "checks", "returns"}
_CHECK_KEYS = {"name", "kind", "cases", "weight", "rtol", "atol"}


def _reject_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _typed(table: dict[str, Any], key: str, kinds: tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise SpecError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if type(value) is bool or not isinstance(value, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise SpecError(f"{where}: {key!r} must be {names}, not {type(value).__name__}")
    return value


def _positive(value: float, key: str, where: str, allow_zero: bool = False) -> float:
    if value < 0 or (value == 0 and not allow_zero):
        raise SpecError(f"{where}: {key!r} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def _parse_check(table: Any, where: str) -> CheckSpec:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: must be a table")
    _reject_unknown(table, _CHECK_KEYS, where)
    name = _typed(table, "name", (str,), where)
    where = f"{where} ({name!r})"
    kind = _typed(table, "kind", (str,), where, "values")
    if kind not in CHECK_KINDS:
        raise SpecError(f"{where}: kind must be one of {', '.join(CHECK_KINDS)}, got {kind!r}")
    cases = _typed(table, "cases", (str,), where, "")
    if kind == "unchanged" and cases:
        raise SpecError(f"{where}: an 'unchanged' check is derived from the function's cases; remove 'cases'")
    if kind != "unchanged" and not cases:
        raise SpecError(f"{where}: missing key 'cases' (the generator in cases.py)")
    weight = _positive(float(_typed(table, "weight", (int, float), where, 1)), "weight", where, allow_zero=True)
    rtol = _positive(float(_typed(table, "rtol", (int, float), where, DEFAULT_RTOL)), "rtol", where, allow_zero=True)
    atol = _positive(float(_typed(table, "atol", (int, float), where, DEFAULT_ATOL)), "atol", where, allow_zero=True)
    return CheckSpec(name=name, kind=kind, weight=weight, cases=cases, rtol=rtol, atol=atol)


def _parse_function(table: Any, where: str) -> FunctionSpec:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: must be a table")
    _reject_unknown(table, _FUNCTION_KEYS, where)
    name = _typed(table, "name", (str,), where)
    if not name.isidentifier():
        raise SpecError(f"{where}: {name!r} is not a Python identifier")
    where = f"function {name!r}"
    points = _positive(float(_typed(table, "points", (int, float), where)), "points", where, allow_zero=True)
    raw_checks = _typed(table, "checks", (list,), where)
    checks = tuple(_parse_check(check, f"{where}, check {index + 1}") for index, check in enumerate(raw_checks))
    if not checks:
        raise SpecError(f"{where}: needs at least one check")
    names = [check.name for check in checks]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: check names must be unique")
    if points > 0 and sum(check.weight for check in checks) <= 0:
        raise SpecError(f"{where}: has points but every check has weight 0")
    returns = _typed(table, "returns", (list,), where, [])
    if not all(type(item) is str and item for item in returns):
        raise SpecError(f"{where}: 'returns' must list the names of the returned entries, e.g. [\"dx\", \"dw\"]")
    return FunctionSpec(name=name, points=points, checks=checks, returns=tuple(returns))


def parse_spec(data: dict[str, Any], where: str = "spec.toml") -> AssignmentSpec:
    """Validate parsed TOML ``data``. Returns the spec; raises SpecError naming the bad key."""
    _reject_unknown(data, _TOP_KEYS, where)
    name = _typed(data, "name", (str,), where)
    title = _typed(data, "title", (str,), where, name)
    file = _typed(data, "file", (str,), where)
    if "/" in file or "\\" in file or not file.endswith(".py") or not file[:-3].isidentifier():
        raise SpecError(f"{where}: 'file' must be a plain module file name such as losses.py, got {file!r}")
    public_seed = _typed(data, "public_seed", (int,), where)
    max_file_bytes = int(_positive(_typed(data, "max_file_bytes", (int,), where, DEFAULT_MAX_FILE_BYTES),
                                   "max_file_bytes", where))
    raw_limits = _typed(data, "limits", (dict,), where, {})
    _reject_unknown(raw_limits, _LIMIT_KEYS, f"{where} [limits]")
    limits = LimitsSpec(
        wall_seconds=_positive(float(_typed(raw_limits, "wall_seconds", (int, float), "[limits]", 10.0)), "wall_seconds", "[limits]"),
        cpu_seconds=_positive(float(_typed(raw_limits, "cpu_seconds", (int, float), "[limits]", 10.0)), "cpu_seconds", "[limits]"),
        memory_mb=int(_positive(_typed(raw_limits, "memory_mb", (int,), "[limits]", 1024), "memory_mb", "[limits]")),
        **{key: _positive(float(_typed(raw_limits, key, (int, float), "[limits]", default)), key, "[limits]")
           for key, default in (("function_seconds", 1.0), ("reference_factor", 50.0),
                                ("submission_seconds", 3.0), ("budget_factor", 150.0))},
    )
    raw_functions = _typed(data, "functions", (list,), where)
    functions = tuple(_parse_function(table, f"{where}, function {index + 1}") for index, table in enumerate(raw_functions))
    if not functions:
        raise SpecError(f"{where}: needs at least one [[functions]] entry")
    names = [function.name for function in functions]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"{where}: function(s) listed twice: {', '.join(duplicates)}")
    return AssignmentSpec(name=name, title=title, file=file, public_seed=public_seed, functions=functions,
                          limits=limits, max_file_bytes=max_file_bytes)


def load_spec(path: Path) -> AssignmentSpec:
    """Read and validate the spec file at ``path``. Returns the spec; raises SpecError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None
    return parse_spec(data, where=str(path))
