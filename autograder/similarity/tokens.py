"""Normalised token streams of a Python file, one per top-level unit (function, method, module rest).

What a disguise changes is abstracted away: every name the file itself binds (variables,
parameters, helpers, classes, attributes it assigns) becomes ``V``, every literal ``NUM`` or
``STR``, comments, docstrings and blank lines are dropped, and ``import numpy as xyz`` reads
as ``numpy`` wherever ``xyz`` is used. What a disguise cannot change without changing the
program stays: keywords, operators, the structure (NEWLINE/INDENT/DEDENT), builtins and the
library API (``numpy.einsum``, ``.reshape``, ``axis=``).

Nothing here raises for any input text: a file that does not parse is tokenised as far as
possible with every non-keyword name abstracted.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import sys
import tokenize
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from autograder.grading.syntax import parse_python

NAME_PLACEHOLDER = "V"
NUMBER_PLACEHOLDER = "NUM"
STRING_PLACEHOLDER = "STR"
MODULE_UNIT = "<module>"

_BUILTINS = frozenset(dir(builtins))
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_TSTRING_START = getattr(tokenize, "TSTRING_START", None)
_TSTRING_END = getattr(tokenize, "TSTRING_END", None)
_CRUDE_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\"[^\"\n]*\"?|'[^'\n]*'?|\S")


class Token(NamedTuple):
    """One normalised token and the lines of the original source it came from."""

    text: str
    line: int
    end_line: int


@dataclass
class Unit:
    """A top-level function, a method, or the rest of the module, as normalised tokens."""

    name: str
    start_line: int
    end_line: int
    tokens: list[Token] = field(default_factory=list)


@dataclass
class _FileFacts:
    """What the AST tells about names: which the file binds, which are module aliases."""

    bound: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    assigned_attributes: set[str] = field(default_factory=set)
    dropped_strings: set[tuple[int, int]] = field(default_factory=set)  # (line, col) of docstrings
    parameters: set[str] = field(default_factory=set)  # of the file's own functions
    keyword_arguments: set[tuple[int, int]] = field(default_factory=set)  # (line, col) of "name=" in calls
    units: list[Unit] = field(default_factory=list)


def normalise(source: str) -> list[Unit]:
    """Return the file's units in source order, each with its normalised tokens (never raises)."""
    # A byte-order mark (stored as the student's editor saved it) is no token, and shifts no column.
    source = source.removeprefix("\ufeff")
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is None:
        return [_crude_unit(source)]
    try:
        facts = _facts(tree)
        return _tokenise(source, facts)
    except Exception:  # noqa: BLE001  (never fail a submission's indexing on an odd file: tokenise it crudely)
        return [_crude_unit(source)]


def _facts(tree: ast.Module) -> _FileFacts:
    facts = _FileFacts()
    bound, parameters = facts.bound, facts.parameters
    for node in _walk(tree):
        kind = type(node)
        # The common nodes first: this loop runs over every node of every submission.
        if kind is ast.Name:
            if type(node.ctx) is not ast.Load:
                bound.add(node.id)
        elif kind is ast.Attribute:
            if type(node.ctx) is not ast.Load:
                facts.assigned_attributes.add(node.attr)
        elif kind is ast.arg:
            bound.add(node.arg)
            parameters.add(node.arg)
        elif kind is ast.keyword:
            if node.arg is not None and hasattr(node, "lineno"):
                facts.keyword_arguments.add((node.lineno, node.col_offset))
        elif kind is ast.Expr:
            # A string statement (docstring or not) does nothing: it is a comment.
            value = node.value
            if type(value) is ast.Constant and isinstance(value.value, (str, bytes)):
                facts.dropped_strings.add((node.lineno, node.col_offset))
        elif kind in _RARE_BINDERS:
            _RARE_BINDERS[kind](node, facts)
    # An import alias is the module it names, even when the file also rebinds it.
    facts.bound -= set(facts.aliases)
    facts.units = _units(tree)
    return facts


# Fields that may hold nodes, per node type (filled as types are met). Names and constants, most of
# the nodes, hold none: their fields are not even looked at.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {ast.Name: (), ast.Constant: ()}
_LEAVES = (str, int, float, complex, bytes, bool, type(None), type(...))
_LEAF_TYPES = frozenset(_LEAVES)


def _walk(tree: ast.AST):
    """Yield every node, like ast.walk but faster: expression contexts and literal fields are skipped."""
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        yield node
        kind = type(node)
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in ("ctx", "type_comment"))
        for name in fields:
            value = getattr(node, name, None)
            if value is None or type(value) in _LEAF_TYPES:
                continue
            if type(value) is list:
                # Lists may hold names (global x) or None (the key of {**mapping}).
                extend([item for item in value if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                push(value)


def _bind_name(node: ast.AST, facts: _FileFacts) -> None:
    name = getattr(node, "name", None)
    if name:
        facts.bound.add(name)


def _bind_names(node: ast.AST, facts: _FileFacts) -> None:
    facts.bound.update(getattr(node, "names", ()))


def _bind_rest(node: ast.AST, facts: _FileFacts) -> None:
    rest = getattr(node, "rest", None)
    if rest:
        facts.bound.add(rest)


def _bind_import(node: ast.AST, facts: _FileFacts) -> None:
    assert isinstance(node, ast.Import)
    for alias in node.names:
        local = alias.asname or alias.name.split(".")[0]
        facts.aliases[local] = alias.name if alias.asname else local


def _bind_import_from(node: ast.AST, facts: _FileFacts) -> None:
    assert isinstance(node, ast.ImportFrom)
    for alias in node.names:
        if alias.name != "*":
            facts.aliases[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}"


def _bind_class(node: ast.AST, facts: _FileFacts) -> None:
    """A class binds its name, and its body's names are attributes of it (a dataclass's or NamedTuple's fields)."""
    assert isinstance(node, ast.ClassDef)
    facts.bound.add(node.name)
    for statement in node.body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        facts.assigned_attributes.update(target.id for target in targets if isinstance(target, ast.Name))


_RARE_BINDERS = {
    ast.FunctionDef: _bind_name,
    ast.AsyncFunctionDef: _bind_name,
    ast.ClassDef: _bind_class,
    ast.ExceptHandler: _bind_name,
    ast.MatchAs: _bind_name,
    ast.MatchStar: _bind_name,
    ast.Global: _bind_names,
    ast.Nonlocal: _bind_names,
    ast.MatchMapping: _bind_rest,
    ast.Import: _bind_import,
    ast.ImportFrom: _bind_import_from,
}


def _units(tree: ast.Module) -> list[Unit]:
    units = []
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            units.append(Unit(statement.name, _first_line(statement), statement.end_lineno or statement.lineno))
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    units.append(
                        Unit(f"{statement.name}.{member.name}", _first_line(member), member.end_lineno or member.lineno)
                    )
    return units


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])


_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_FSTRING_STARTS = frozenset(kind for kind in (_FSTRING_START, _TSTRING_START) if kind is not None)
_FSTRING_ENDS = frozenset(kind for kind in (_FSTRING_END, _TSTRING_END) if kind is not None)
_NAME, _OP, _STRING, _NEWLINE, _DEDENT = tokenize.NAME, tokenize.OP, tokenize.STRING, tokenize.NEWLINE, tokenize.DEDENT


def _tokenise(source: str, facts: _FileFacts) -> list[Unit]:
    module = Unit(MODULE_UNIT, 1, max(1, source.count("\n") + 1))
    unit_of_line: dict[int, Unit] = {}
    for unit in facts.units:
        for line in range(unit.start_line, unit.end_line + 1):
            unit_of_line[line] = unit
    previous = ""
    previous_kind = _NEWLINE
    grouping: list[bool] = []  # for each open "(": is it a grouping parenthesis (dropped)?
    last_unit: Unit | None = None
    skip_until: tuple[int, int] | None = None  # end of a dropped string
    fstring_depth = 0
    dropped_strings, keyword_arguments = facts.dropped_strings, facts.keyword_arguments
    names: dict[str, str] = {}  # this file's normalisation of each name not after "."
    token = tuple.__new__  # Token(...) without the NamedTuple's Python-level __new__
    for kind, text, start, end in _raw_tokens(source):
        line = start[0]
        if kind in _FSTRING_STARTS:
            fstring_depth += 1
            if fstring_depth == 1:
                unit_of_line.get(line, module).tokens.append(token(Token, (STRING_PLACEHOLDER, line, end[0])))
            continue
        if fstring_depth:
            if kind in _FSTRING_ENDS:
                fstring_depth -= 1
            continue
        if skip_until is not None and (start < skip_until or kind == _NEWLINE):
            if kind == _NEWLINE:  # the end of the dropped string statement
                skip_until = None
            continue
        if kind in _SKIPPED:
            continue
        if kind == _STRING and start in dropped_strings:
            skip_until = end
            continue
        unit = unit_of_line.get(line, module)
        if kind == _DEDENT and unit is not last_unit:
            continue  # closes the previous unit: depends on which unit came before
        if kind == _NAME:
            if start in keyword_arguments:
                # A library's keyword (axis=0) stays; one naming a parameter of the file's own function is V.
                normalised: str = NAME_PLACEHOLDER if text in facts.parameters else text
            elif previous == ".":
                normalised = NAME_PLACEHOLDER if text in facts.assigned_attributes else text
            else:
                normalised = names.get(text)
                if normalised is None:
                    normalised = names[text] = _normalise_name(text, facts)
        elif kind == _OP:
            normalised = "NEWLINE" if text == ";" else text
        else:
            other = _normalise_token(kind, text)
            if other is None:
                continue
            normalised = other
        if kind == _OP:
            if text == "(":
                # Parentheses that only group ("(a - b) ** 2", "return (x, y)") are optional: drop them.
                called = (previous_kind in (_NAME, _STRING) and not keyword.iskeyword(previous)) or previous in (
                    ")",
                    "]",
                )
                grouping.append(not called)
                if not called:
                    previous, previous_kind = text, kind
                    continue
            elif text == ")" and grouping and grouping.pop():
                previous, previous_kind = text, kind
                continue  # "(x,)" keeps its comma: it makes the tuple
            if text in ")]}" and unit.tokens and unit.tokens[-1].text == ",":
                unit.tokens.pop()  # a trailing comma before a closing bracket changes nothing
        previous, previous_kind, last_unit = text, kind, unit
        if kind == _NAME and "." in normalised and normalised.strip("."):
            # "from numpy import abs as absolute": absolute(x) reads as numpy.abs(x).
            for position, part in enumerate(part for part in normalised.split(".") if part):
                if position:
                    unit.tokens.append(token(Token, (".", line, end[0])))
                unit.tokens.append(token(Token, (part, line, end[0])))
            continue
        unit.tokens.append(token(Token, (normalised, line, end[0])))
    units = [*facts.units, module]
    return [unit for unit in sorted(units, key=lambda u: u.start_line) if unit.tokens]


def _normalise_name(text: str, facts: _FileFacts) -> str:
    """A name not after ".": keywords stay, module aliases read as their module, what the file binds is V."""
    if keyword.iskeyword(text):
        return text
    if text in facts.aliases:
        return facts.aliases[text]
    return NAME_PLACEHOLDER if text in facts.bound else text


_FIXED_TEXT = {
    tokenize.NUMBER: NUMBER_PLACEHOLDER,
    tokenize.STRING: STRING_PLACEHOLDER,
    tokenize.NEWLINE: "NEWLINE",
    tokenize.INDENT: "INDENT",
    tokenize.DEDENT: "DEDENT",
}


def _normalise_token(kind: int, text: str) -> str | None:
    """Any token but a NAME: literals and layout by kind, operators as written (";" ends a statement)."""
    fixed = _FIXED_TEXT.get(kind)
    if fixed is not None:
        return fixed
    if kind == tokenize.OP and text == ";":
        return "NEWLINE"
    if kind in (tokenize.OP, tokenize.ERRORTOKEN):
        return text.strip() or None
    return None


def _raw_tokens(source: str):
    """Yield (kind, text, start, end) of each token, stopping quietly at the first error.

    On CPython 3.11 the interpreter's own C tokenizer (``_tokenize.TokenizerIter``, ten times
    faster than the pure-Python ``tokenize``; from 3.12 on ``tokenize`` itself uses it) gives the
    same tokens for the source that ``ast`` parsed, minus comments and NL, which are skipped anyway.
    """
    # The C tokenizer hands each token a copy of its whole line: a 200 kB line of 100,000 tokens
    # cost 20 GB of copying (5-18 s of the indexer's CPU). Past a line this long, the pure-Python one.
    if _C_TOKENIZER is not None and max(map(len, source.splitlines()), default=0) <= C_TOKENIZER_MAX_LINE:
        try:
            tokens = [
                (_C_KINDS.get(kind, _OP), text, (line, column), (end_line, end_column))
                for text, kind, line, end_line, column, end_column, _ in _C_TOKENIZER(source)
            ]
        except Exception:  # noqa: BLE001  (anything odd: the pure-Python tokenizer stops at the error instead)
            pass
        else:
            # The DEDENTs closing the file: tokenize puts them after the last line, this one on it.
            after_last_line = source.count("\n") + (1 if source.endswith("\n") else 2)
            position = len(tokens)
            while position and tokens[position - 1][0] in (tokenize.DEDENT, tokenize.ENDMARKER):
                position -= 1
            for index in range(position, len(tokens)):
                kind, text, _, _ = tokens[index]
                tokens[index] = (kind, text, (after_last_line, 0), (after_last_line, 0))
            yield from tokens
            return
    try:
        for kind, text, start, end, _ in tokenize.generate_tokens(io.StringIO(source).readline):
            yield kind, text, start, end
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return


def _c_tokenizer() -> Any:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return None
    try:
        from _tokenize import TokenizerIter
    except ImportError:
        return None
    return TokenizerIter


_C_TOKENIZER = _c_tokenizer()
C_TOKENIZER_MAX_LINE = 2_000
# The C tokenizer gives each operator its exact type (LPAR, EQUAL...); the normaliser reads them as OP.
_C_KINDS = {
    kind: kind
    for kind in (
        tokenize.NAME,
        tokenize.NUMBER,
        tokenize.STRING,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    )
}


def _crude_unit(source: str) -> Unit:
    """Tokenise text that is not Python enough for ast: every non-keyword, non-builtin name is V."""
    unit = Unit(MODULE_UNIT, 1, max(1, source.count("\n") + 1))
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.split("#", 1)[0]
        for match in _CRUDE_TOKEN.finditer(stripped):
            text = match.group()
            if text[0].isdigit():
                text = NUMBER_PLACEHOLDER
            elif text[0] in "\"'":
                text = STRING_PLACEHOLDER
            elif (text[0].isalpha() or text[0] == "_") and not keyword.iskeyword(text) and text not in _BUILTINS:
                text = NAME_PLACEHOLDER
            unit.tokens.append(Token(text, number, number))
        if stripped.strip():
            unit.tokens.append(Token("NEWLINE", number, number))
    return unit
