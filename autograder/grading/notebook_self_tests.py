"""Which top-level statements of a notebook's code cells are graded: the student's own tests are left out.

A *self-test cell* calls or prints at top level (a bare call or expression, an ``assert``, a loop,
``if __name__ == ...``). Run as part of the graded file, such code could stop it from loading (a
test calling an unfinished function), cost a training loop's time, or need a plotting library the
sandbox does not have. From a self-test cell the grader therefore keeps:

* every ``def`` and ``class``;
* what the graded code needs: a statement binding a graded function's name (``adam = Adam()``), or a
  name that a function, a ``def``/``class`` statement itself (decorators, bases, defaults,
  annotations) or a plain cell reads (and, in turn, what that statement reads), and the imports
  those need;
* other statements that bind a name (constants, a table built in a loop) unless they call one of
  the notebook's own functions or ``print``/``display``, or read a name bound only by left-out code.

It leaves out bare expressions, asserts, ``if __name__`` blocks and the rest of the above. In every
cell, self-test or not, it leaves out the imports nothing kept uses (``import matplotlib.pyplot as
plt`` in the first cell, for the tests' plots). ``from __future__`` imports, valid at the top of any
cell in Jupyter, go to the top of the graded file.
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterable
from dataclasses import dataclass, field

from autograder.grading.syntax import parse_python

# Top-level statements that make a cell a self-test cell: calls, prints, displays, asserts, loops.
SELF_TEST_STATEMENTS = (ast.Expr, ast.Assert, ast.For, ast.AsyncFor, ast.While)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)
# Calls that only show or ask something: a statement making one is a test's.
SHOWING_CALLS = frozenset({"print", "display", "input", "breakpoint", "help", "pprint"})


@dataclass
class Cell:
    """A code cell: its number in the notebook, its text (IPython syntax blanked) and its parsed tree."""

    number: int
    text: str
    tree: ast.Module


@dataclass
class GradedCells:
    """The cells' texts as graded (left-out lines blanked), the self-test cells, the hoisted future features."""

    texts: list[str]
    self_tests: list[int] = field(default_factory=list)
    future_features: list[str] = field(default_factory=list)


def is_self_test_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Expr):
        return not isinstance(statement.value, ast.Constant)  # a bare string is a comment
    return isinstance(statement, SELF_TEST_STATEMENTS) or is_main_guard(statement)


def graded_cells(cells: list[Cell], graded_names: Iterable[str] = ()) -> GradedCells:
    """Decide, statement by statement, what of ``cells`` is graded; see the module's docstring.

    ``graded_names`` are the names the grader reads from the file (the assignment's functions).
    """
    self_test_cells = {cell.number for cell in cells if any(is_self_test_statement(s) for s in cell.tree.body)}
    graded = set(graded_names)
    functions = graded | {node.name for cell in cells for node in cell.tree.body if isinstance(node, DEFINITIONS)}
    facts = _Facts()
    needed = _needed_names(cells, self_test_cells, graded, facts)
    kept: dict[int, set[int]] = {}  # cell number -> ids of kept statements
    tainted: set[str] = set()
    future: list[str] = []
    for cell in cells:
        keep: set[int] = set()
        for statement in cell.tree.body:
            if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
                future += [alias.name for alias in statement.names if alias.name not in future]
                continue
            if isinstance(statement, IMPORTS):
                kept_here = _import_needed(statement, needed)
            else:
                kept_here = cell.number not in self_test_cells or _kept_in_self_test(statement, functions, needed,
                                                                                     tainted, facts)
            if kept_here:
                keep.add(id(statement))
                tainted -= facts.bound(statement)
            else:
                tainted |= facts.bound(statement)
        kept[cell.number] = keep
    texts = [_blank_left_out(cell, kept[cell.number]) for cell in cells]
    return GradedCells(texts, sorted(self_test_cells), future)


def _kept_in_self_test(statement: ast.stmt, functions: set[str], needed: set[str], tainted: set[str],
                       facts: _Facts) -> bool:
    if isinstance(statement, DEFINITIONS):
        return True
    if isinstance(statement, (ast.Expr, ast.Assert)) or is_main_guard(statement):
        return False
    bound = facts.bound(statement)
    if bound & needed:
        return True
    # What binds nothing (a `raise`, an `if` that only prints) can only be a test's.
    return bool(bound) and not (facts.called(statement) & (functions | SHOWING_CALLS)
                                or facts.read(statement) & tainted)


class _Facts:
    """The names each top-level statement binds, reads and calls, found in one walk of it (asked several times)."""

    def __init__(self) -> None:
        self._found: dict[int, tuple[set[str], set[str], set[str]]] = {}

    def _of(self, statement: ast.stmt) -> tuple[set[str], set[str], set[str]]:
        found = self._found.get(id(statement))
        if found is None:
            found = self._found[id(statement)] = _walk_statement(statement)
        return found

    def bound(self, statement: ast.stmt) -> set[str]:
        return self._of(statement)[0]

    def read(self, statement: ast.stmt) -> set[str]:
        return self._of(statement)[1]

    def called(self, statement: ast.stmt) -> set[str]:
        return self._of(statement)[2]


def _walk_statement(statement: ast.stmt) -> tuple[set[str], set[str], set[str]]:
    """(bound_names, _read_names, names called by name) of a statement, in one walk."""
    if isinstance(statement, (*IMPORTS, *DEFINITIONS)):
        return bound_names(statement), _read_names(statement), set()
    bound: set[str] = set()
    read: set[str] = set()
    called: set[str] = set()
    stack: list[ast.AST] = [statement]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is ast.Name:
            (read if type(node.ctx) is ast.Load else bound).add(node.id)  # type: ignore[attr-defined]
            continue
        if kind is ast.Constant:
            continue
        if kind is ast.Call and type(node.func) is ast.Name:  # type: ignore[attr-defined]
            called.add(node.func.id)  # type: ignore[attr-defined]
        elif kind in _DEFINITION_TYPES:
            bound.add(node.name)  # type: ignore[attr-defined]
        elif kind in _IMPORT_TYPES:
            bound |= bound_names(node)  # type: ignore[arg-type]
        # ast.walk's way, without its two generators per node and the contexts (a third of the nodes):
        # a statement of 100,000 names took the self-test analysis 1.6 s.
        for name in _child_fields(kind):
            value = getattr(node, name, None)
            if type(value) is list:
                extend([item for item in value if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                stack.append(value)
    return bound, read, called


_DEFINITION_TYPES = frozenset(DEFINITIONS)
_IMPORT_TYPES = frozenset(IMPORTS)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(name for name in getattr(kind, "_fields", ())
                                             if name not in ("ctx", "type_comment"))
    return fields


def _import_needed(statement: ast.Import | ast.ImportFrom, needed: set[str]) -> bool:
    return any(name == "*" or name in needed for name in bound_names(statement))


def _needed_names(cells: list[Cell], self_test_cells: set[int], graded_names: set[str], facts: _Facts) -> set[str]:
    """Global names the graded code reads: the graded functions, what functions and classes and plain cells
    read, and what binding those reads.

    A function's own locals are not reads of the notebook's names (``symtable`` tells them apart):
    a ``loss = mse(y, y)`` test line is not needed because some function has a local ``loss``.
    """
    needed: set[str] = set(graded_names)
    # Name -> the candidate statements binding it (each statement walked once), by their index in `reads_of`.
    binders: dict[str, list[int]] = {}
    reads_of: list[set[str]] = []
    for cell in cells:
        needed |= _global_reads_of_definitions(cell)
        for statement in cell.tree.body:
            if isinstance(statement, DEFINITIONS):
                needed |= _reads_when_defined(statement)
                continue
            if cell.number not in self_test_cells:
                needed |= facts.read(statement)
            elif not isinstance(statement, (*IMPORTS, ast.Expr, ast.Assert)) and not is_main_guard(statement):
                for name in facts.bound(statement):
                    binders.setdefault(name, []).append(len(reads_of))
                reads_of.append(facts.read(statement))
    # A needed statement's own reads are needed too: each name and each statement is followed once,
    # so a chain of N assignments listed last to first costs N steps, not N passes over every
    # statement, and one statement binding N names (`a0, a1, ... = ...`) is read once, not N times.
    followed: set[int] = set()
    pending = list(needed)
    while pending:
        for index in binders.pop(pending.pop(), ()):
            if index not in followed:
                followed.add(index)
                reads = reads_of[index]
                pending += reads - needed
                needed |= reads
    return needed


def _global_reads_of_definitions(cell: Cell) -> set[str]:
    """Names the cell's top-level functions and classes (nested scopes included) read from the module."""
    lines = {node.lineno for node in cell.tree.body if isinstance(node, DEFINITIONS)}
    if not lines:
        return set()
    try:
        module = symtable.symtable(cell.text, f"cell {cell.number}", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # parsed already: not expected
        return {name for node in cell.tree.body if isinstance(node, DEFINITIONS) for name in _read_names(node)}
    reads: set[str] = set()
    pending = [table for table in module.get_children() if table.get_lineno() in lines]
    while pending:
        table = pending.pop()
        pending += table.get_children()
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (symbol.is_global() or table.get_type() == "class" and not symbol.is_local()):
                reads.add(symbol.get_name())
    return reads


def _reads_when_defined(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """Names a ``def`` or ``class`` statement reads as it runs: decorators, bases, defaults, annotations."""
    parts: list[ast.expr | None] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [keyword.value for keyword in node.keywords]
    else:
        arguments = node.args
        parts += arguments.defaults + arguments.kw_defaults + [node.returns]
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
        parts += [argument.annotation for argument in every if argument is not None]
    return {child.id for part in parts if part is not None for child in ast.walk(part)
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)}


def _blank_left_out(cell: Cell, kept: set[int]) -> str:
    """The cell's text with the lines of its left-out statements blank (line numbers keep)."""
    if all(id(statement) in kept for statement in cell.tree.body):
        return cell.text
    lines = cell.text.splitlines(keepends=True)
    keep_lines: set[int] = set()
    blank_lines: set[int] = set()
    for statement in cell.tree.body:
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
        span = range(first, (statement.end_lineno or statement.lineno) + 1)
        (keep_lines if id(statement) in kept else blank_lines).update(span)
    for line in blank_lines - keep_lines:
        if line <= len(lines):
            lines[line - 1] = "\n"
    trimmed = "".join(lines)
    if not blank_lines & keep_lines and "\\\n" not in cell.text and "\\\r" not in cell.text:
        # Whole statements blanked, each on lines of its own and none continued by a backslash onto
        # another's: what is left parses as it did (a parse per cell again cost 10,000 cells 1 s).
        return trimmed
    try:
        parse_python(trimmed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return cell.text  # statements sharing a line with a kept one (`x = 1; print(x)`): keep the cell as written
    return trimmed


def is_main_guard(statement: ast.stmt) -> bool:
    """True for `if __name__ == "__main__":` (any test reading __name__): a file's own tests."""
    return isinstance(statement, ast.If) and any(
        isinstance(node, ast.Name) and node.id == "__name__" for node in ast.walk(statement.test))


def bound_names(statement: ast.stmt) -> set[str]:
    """The names a statement binds at module level (imports, definitions, targets)."""
    if isinstance(statement, IMPORTS):
        return {alias.asname or alias.name.split(".")[0] for alias in statement.names}
    if isinstance(statement, DEFINITIONS):
        return {statement.name}
    names = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, IMPORTS):
            names |= bound_names(node)
    return names


def _read_names(statement: ast.stmt) -> set[str]:
    return {node.id for node in ast.walk(statement) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _calls_any(statement: ast.stmt, names: set[str] | frozenset[str]) -> bool:
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
               for node in ast.walk(statement))
