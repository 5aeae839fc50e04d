"""A look at a submission's text before grading it, without running it."""

from __future__ import annotations

import ast

from autograder.grading.assignment import AssignmentError, find_assignment
from autograder.grading.syntax import parse_python


def defined_names(source: str) -> set[str] | None:
    """Return the names a source defines at module level (functions, assignments, imports), or None if unparsable."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the grader reports it properly, with the line
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def unrelated_to(assignment_name: str, source: str) -> list[str]:
    """Return the assignment's graded functions if the source defines none of them (likely the wrong file), else [].

    A file that does not parse is not flagged here: the grader's own message says where it breaks.
    """
    try:
        expected = [function.name for function in find_assignment(assignment_name).functions]
    except AssignmentError:
        return []
    names = defined_names(source)
    if names is None or names & set(expected):
        return []
    return expected
