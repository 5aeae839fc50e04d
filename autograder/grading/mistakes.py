"""Known-wrong variants of reference functions ("named mistakes").

Each assignment may have a ``mistakes.py`` defining ``MISTAKES: list[Mistake]`` and the
variant functions they name. The file is executed in a namespace that already holds the
reference module's globals, so a variant may call reference helpers directly.
"""

from __future__ import annotations

import ast
import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autograder.grading.syntax import parse_python


class AssignmentFolder(Protocol):
    """What variant_source needs of an assignment (autograder.grading.suite.Assignment has it)."""

    @property
    def path(self) -> Path: ...

    @property
    def name(self) -> str: ...

    @property
    def reference_source(self) -> str: ...


@dataclass(frozen=True)
class Mistake:
    """A classic error in one function: a short name, a hint, and its implementation."""

    function: str  # the contract's function name, e.g. "mse"
    name: str  # short, e.g. "sum instead of mean"
    hint: str  # one or two sentences telling the student what to fix
    implementation: str  # name of the variant function defined in mistakes.py
    # Functions that legitimately suffer too: a backward graded on the cache of this forward.
    also_breaks: tuple[str, ...] = ()
    # "values": a student makes this mistake when their results equal the variant's wherever the
    # variant is wrong. "pattern": the variant stands for a family whose results vary (a clipping
    # constant, an unseeded generator): the student fails exactly where the variant is wrong, with
    # results of the expected shapes, finite exactly where the variant's are (see diagnosis.py).
    match: str = "values"

    def __post_init__(self) -> None:
        if self.match not in MATCHES:
            raise ValueError(f"mistake {self.name!r}: match must be one of {MATCHES}, not {self.match!r}")


MATCHES = ("values", "pattern")


@functools.lru_cache(maxsize=16)
def _parsed(text: str) -> ast.Module:
    """Parse a source text once: a suite builds one variant file per mistake from the same two files.

    Callers must not modify the tree (variant_source copies the node it renames).
    """
    return parse_python(text)


def _referenced_names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def variant_source(assignment: AssignmentFolder, mistake: Mistake) -> str:
    """Return a student file: the reference with ``mistake.function`` replaced by the variant.

    The variant is renamed to the contract's name; helpers of mistakes.py it uses (directly or
    through other helpers) and mistakes.py's imports come along. Raises ValueError if the
    variant is not defined in the assignment's mistakes.py.
    """
    mistakes_text = (assignment.path / "mistakes.py").read_text(encoding="utf-8")
    source = _variant_text(mistakes_text, assignment.reference_source, mistake)
    if source is None:
        raise ValueError(f"{mistake.implementation!r} is not defined in {assignment.name}'s mistakes.py")
    return source


@functools.lru_cache(maxsize=256)
def _variant_text(mistakes_text: str, reference_text: str, mistake: Mistake) -> str | None:
    """The variant file of ``mistake`` built from the two files' texts, or None if mistakes.py lacks it.

    Cached: every preparation of a suite (public, and hidden per course seed) builds the same files,
    and unparsing them was a fifth of a suite's preparation.
    """
    mistakes_tree = _parsed(mistakes_text)
    definitions = {name: node for node in mistakes_tree.body if (name := _defined_name(node)) and name != "MISTAKES"}
    if mistake.implementation not in definitions:
        return None
    needed: list[str] = []
    pending = [mistake.implementation]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.append(name)
        pending.extend(sorted(_referenced_names(definitions[name]) & set(definitions)))
    imports = [node for node in mistakes_tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
               and not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder"))]

    reference_tree = _parsed(reference_text)
    lines = reference_text.splitlines()
    for node in reference_tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == mistake.function:
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)]) - 1
            lines[first:node.end_lineno] = []
            break
    parts = ["\n".join(lines).rstrip(), "", f"# Known mistake {mistake.name!r} in {mistake.function}."]
    parts += [ast.unparse(node) for node in imports]
    for name in reversed(needed[1:]):
        parts.append(ast.unparse(definitions[name]))
    variant = copy.deepcopy(definitions[mistake.implementation])
    assert isinstance(variant, (ast.FunctionDef, ast.AsyncFunctionDef))
    variant.name = mistake.function
    parts.append(ast.unparse(variant))
    return "\n\n".join(parts) + "\n"
