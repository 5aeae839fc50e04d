"""Disguised copies of a Python file, as a student hiding a copy would make them.

Used to test and benchmark the detector: renamed variables, parameters and helpers (the
functions the contract names keep their names, so the copy still grades), reordered
top-level functions, and rewritten comments, docstrings and whitespace. Each step keeps the
program's behaviour; ``disguise`` applies all of them.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import random
from collections.abc import Collection

from autograder.grading.syntax import parse_python

_WORDS = (
    "value",
    "item",
    "tmp",
    "acc",
    "res",
    "data",
    "arr",
    "vec",
    "out",
    "buf",
    "part",
    "num",
    "thing",
    "elem",
    "cur",
    "chunk",
    "piece",
    "store",
    "holder",
    "aux",
)
_COMMENTS = (
    "compute the result",
    "loop over everything",
    "helper step",
    "TODO: tidy",
    "as in lecture",
    "numerically stable",
    "see notes",
    "final answer",
    "edge case",
    "vectorised",
)


def _bound_names(tree: ast.AST) -> set[str]:
    # A class body's names are its fields, read as attributes (cache.x): without types, renaming
    # them everywhere cannot be done safely, so they keep their names (as a student's would).
    fields = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for statement in node.body
        for target in (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if isinstance(target, ast.Name)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    imported = {
        alias.asname or alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    return names - imported - fields


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str], own_functions: set[str]) -> None:
        self.mapping, self.own_functions = mapping, own_functions

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        self.generic_visit(node)  # its annotation names the file's own aliases too (x: Array)
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        # Keywords of a call to one of the file's own functions name its (renamed) parameters;
        # a library's keywords (np.sum(x, axis=0)) stay.
        own = isinstance(node.func, ast.Name) and node.func.id in self.own_functions
        self.generic_visit(node)
        if own:
            for kw in node.keywords:
                if kw.arg is not None:
                    kw.arg = self.mapping.get(kw.arg, kw.arg)
        return node

    def _rename_def(self, node):  # type: ignore[no-untyped-def]
        self.generic_visit(node)
        node.name = self.mapping.get(node.name, node.name)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _rename_def


def rename_identifiers(source: str, keep: Collection[str] = (), seed: int = 0) -> str:
    """Rename every name the file binds except ``keep`` (the graded functions); return new source."""
    tree = parse_python(source)
    rng = random.Random(seed)
    taken = set(dir(builtins)) | set(keyword.kwlist) | _all_names(tree)
    mapping = {}
    for name in sorted(_bound_names(tree) - set(keep)):
        while True:
            candidate = f"{rng.choice(_WORDS)}_{rng.randrange(1000)}"
            if candidate not in taken:
                break
        taken.add(candidate)
        mapping[name] = candidate
    # Keywords of a call to one of these name its parameters or fields (AffineCache(x=x)): renamed with them.
    own_functions = {
        node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    renamed = _Renamer(mapping, own_functions).visit(tree)
    return ast.unparse(ast.fix_missing_locations(renamed))


def _all_names(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
    return found


def reorder_functions(source: str, seed: int = 0) -> str:
    """Shuffle the top-level function definitions; other statements (classes included) stay first, in order.

    Classes stay with the module's statements: one may build an instance at import (a dataclass of settings).
    """
    tree = parse_python(source)
    definitions = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    others = [s for s in tree.body if s not in definitions]
    rng = random.Random(seed)
    shuffled = list(definitions)
    for _ in range(10):
        rng.shuffle(shuffled)
        if len(shuffled) < 2 or shuffled != definitions:
            break
    tree.body = others + shuffled
    return ast.unparse(tree)


def strip_docstrings(source: str) -> str:
    """Remove every docstring (string statements); a body left empty gets ``pass``."""
    tree = parse_python(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [
                s
                for s in body
                if not (
                    isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
                )
            ]
            node.body = kept or [ast.Pass()]
    return ast.unparse(ast.fix_missing_locations(tree))


def restyle(source: str, seed: int = 0) -> str:
    """Change comments and whitespace: two-space indents, blank lines and new comments here and there."""
    rng = random.Random(seed)
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        indent = "  " * depth
        if stripped and rng.random() < 0.25:
            lines.append(f"{indent}# {rng.choice(_COMMENTS)}")
        if stripped and rng.random() < 0.15 and not stripped.startswith(("def", "class", "@")):
            stripped = f"{stripped}  # {rng.choice(_COMMENTS)}" if not stripped.endswith(("\\", ",")) else stripped
        lines.append(indent + stripped)
        if rng.random() < 0.2:
            lines.append("")
    return "\n".join(lines) + "\n"


def disguise(source: str, keep: Collection[str] = (), seed: int = 0) -> str:
    """Apply every disguise: rename, reorder, drop docstrings, restyle comments and whitespace."""
    renamed = rename_identifiers(source, keep=keep, seed=seed)
    return restyle(strip_docstrings(reorder_functions(renamed, seed=seed)), seed=seed)
