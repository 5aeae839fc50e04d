"""Jupyter notebooks as submissions: the code cells become the student's file, with a map back to cells.

Only the cells' source text is used: stored outputs are dropped unread (never executed, never
trusted), markdown and raw cells are ignored, IPython magics and shell escapes are blanked out
with a note, and the top-level statements of cells that call or print (the student's own tests)
are not run, so they can neither break grading nor print into a graded function's feedback.
Line numbers are kept: line ``n`` of a cell is at a known line of the generated file, so
tracebacks, warnings and prints can be told as "cell 7, line 3".
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import importlib
import json
import math
import re
import tokenize
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from autograder.grading.notebook_json import MAX_CELLS as MAX_CELLS  # noqa: F401 - part of this module's interface
from autograder.grading.notebook_json import UnreadableNotebook, read_document
from autograder.grading.source_checks import SourceRejected
from autograder.grading.notebook_self_tests import Cell, graded_cells
from autograder.grading.syntax import parse_python



@functools.cache
def _nbformat() -> Any:
    """nbformat, or None: the server and the `notebook` extra have it; a student's small install reads v4 itself.

    Imported on first use (it pulls in jsonschema): grading a .py file never needs it.
    """
    try:
        return importlib.import_module("nbformat")
    except ImportError:  # pragma: no cover - exercised by tests/packaging's student install
        return None


NOTEBOOK_SUFFIX = ".ipynb"
# The whole file, stored outputs included; the code itself is held to the assignment's max_file_bytes.
MAX_NOTEBOOK_BYTES = 40 << 20
# A notebook is a few levels deep; the reader without nbformat recurses, so it stops well before Python would.
MAX_NESTING = 100
# `name = %magic ...` and `name = !command`: IPython binds the magic's result or the command's output.
_IPYTHON_ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)\s*=\s*[%!](?!=)")
# `pip install numpy` without `%`: IPython's automagic runs it (the one automagic students often write).
_AUTOMAGIC_INSTALL = re.compile(r"(pip|conda)\s+(install|uninstall)\s")
# Cell magics whose body IPython runs as ordinary Python in the notebook's namespace: the magic
# line is dropped and the body kept. Any other cell magic (%%bash, %%writefile...) drops the cell.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "capture", "prun"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# `%%writefile [-a] PATH` (`%%file` is its alias): the body is the text of a file, not run in the notebook.
WRITEFILE_MAGICS = frozenset({"writefile", "file"})


class NotebookRejected(SourceRejected):
    """The notebook cannot be graded at all; the message says why, for the student."""


@dataclass
class NotebookSource:
    """A notebook's graded Python text, where each of its lines came from, and notes for the report."""

    filename: str  # the notebook's name, e.g. "losses.ipynb"
    text: str
    cells: list[tuple[int, int]] = field(default_factory=list)  # (first generated line, cell number) per code cell
    notes: list[str] = field(default_factory=list)

    def where(self, line: int) -> str | None:
        """Return "cell C, line L" for line ``line`` of the generated file (None if outside every cell)."""
        if line > self.text.count("\n"):
            return None  # the print labeller appended after the cells
        # Cells are in order of their first line: a search, not a scan (a relabelled traceback names
        # many lines, and a notebook may have 2,000 cells).
        index = bisect.bisect_right(self.cells, (line, math.inf)) - 1
        if index < 0:
            return None
        first, number = self.cells[index]
        return f"cell {number}, line {line - first + 1}"

    def module_text(self, module_file: str) -> str:
        """Return the text the sandbox loads as ``module_file``: the cells, then the print labeller."""
        return self.text + _PRINT_LABELS.replace("{cells}", repr(self.cells)).replace("{module_file}", repr(module_file))

    def relabel(self, text: str, module_file: str) -> str:
        """Rewrite ``module_file``'s line references in ``text`` (tracebacks, warnings) as cells and lines."""
        if not text or module_file not in text:
            return text
        quoted = re.escape(module_file)

        def frame(match: re.Match[str]) -> str:
            return self.where(int(match.group(1))) or match.group(0)

        text = re.sub(rf'File "{quoted}", line (\d+)', frame, text)
        text = re.sub(rf"(?<![\w/.]){quoted}:(\d+):", lambda match: f"{frame(match)}:", text)
        return re.sub(rf"{quoted} has a syntax error on line (\d+)",
                      lambda match: f"{self.filename} has a syntax error in {frame(match)}", text)


def is_notebook(filename: str | None, data: bytes = b"") -> bool:
    """True when ``filename`` ends in .ipynb, or ``data`` is plainly a notebook's JSON (a misnamed notebook)."""
    if filename and PurePath(filename).suffix.lower() == NOTEBOOK_SUFFIX:
        return True
    return data[:64].lstrip().startswith(b"{") and b'"nbformat"' in data and b'"cells"' in data


class _Node(dict):
    """A JSON object with attribute access, like nbformat's NotebookNode (for installs without nbformat)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _as_nodes(value: Any, depth: int = 0) -> Any:
    if depth > MAX_NESTING:
        raise ValueError("nested too deeply")
    if isinstance(value, dict):
        return _Node({key: _as_nodes(item, depth + 1) for key, item in value.items()})
    if isinstance(value, list):
        return [_as_nodes(item, depth + 1) for item in value]
    return value


def _is_text(source: Any) -> bool:
    """A cell's source as nbformat allows it (a string, or a list of strings) that UTF-8 can carry.

    JSON's "\\ud800" escapes decode to a lone surrogate, which no later step could encode.
    """
    lines = [source] if isinstance(source, str) else source if isinstance(source, list) else None
    if lines is None or not all(isinstance(line, str) for line in lines):
        return False
    try:
        for line in lines:
            line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_v4(document: dict[str, Any], filename: str) -> Any:
    """Read a v4 notebook without nbformat: the cells' type and source are all grading needs."""
    if document["nbformat"] != 4 or not isinstance(document.get("cells"), list):
        raise NotebookRejected(f"{filename} is in notebook format v{document['nbformat']}; without nbformat the "
                               "grader reads v4 only (save it with a current Jupyter, or install "
                               "'autograder[notebook]').")
    for number, cell in enumerate(document["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookRejected(f"{filename}: cell {number} is malformed (no known cell_type).")
    try:
        return _as_nodes(document)
    except ValueError:
        raise NotebookRejected(f"{filename} cannot be read as a Jupyter notebook: its metadata is nested more "
                               f"than {MAX_NESTING} levels deep.") from None


def load_notebook(data: bytes, filename: str, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Any:
    """Parse ``data`` as a Jupyter notebook (read as nbformat v4), with its stored outputs dropped unread.

    Raises NotebookRejected for a file too large, not UTF-8 JSON, or JSON that is not a notebook.
    """
    if len(data) > max_bytes:
        raise NotebookRejected(f"{filename} is {len(data):,} bytes; the limit for a whole notebook is "
                               f"{max_bytes:,} bytes. Clear large outputs (Edit > Clear All Outputs) and save again.")
    try:
        # Outputs, attachments and metadata are dropped unread before nbformat validates the rest:
        # stored outputs are whatever the file says they are, and widget state can be megabytes.
        document = read_document(data, filename)
    except UnreadableNotebook as error:
        raise NotebookRejected(str(error)) from None
    nbformat = _nbformat()
    if nbformat is None:
        notebook = _read_v4(document, filename)
        for number, cell in enumerate(notebook.cells, 1):
            if not _is_text(cell.get("source", "")):
                raise NotebookRejected(f"{filename}: cell {number} is malformed (its source is not text).")
        return notebook
    problems: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():  # e.g. cells without ids (older notebooks): not the student's concern
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(document), as_version=4, capture_validation_error=problems)
    except Exception as error:  # nbformat raises a variety of types for malformed documents
        raise NotebookRejected(f"{filename} cannot be read as a Jupyter notebook: {type(error).__name__}: "
                               f"{str(error)[:300]}") from None
    for number, cell in enumerate(notebook.cells, 1):
        if not isinstance(cell, dict) or not _is_text(cell.get("source", "")):
            raise NotebookRejected(f"{filename}: cell {number} is malformed (its source is not text).")
    return notebook


def slim_notebook(data: bytes, filename: str, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str:
    """Return the notebook as JSON text without outputs, attachments or widget state (what is stored).

    Raises NotebookRejected like load_notebook.
    """
    notebook = load_notebook(data, filename, max_bytes)
    nbformat = _nbformat()
    if nbformat is None:
        return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return nbformat.writes(notebook)


def cell_text(cell: Any) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_source(data: bytes, filename: str, max_code_bytes: int,
                    max_bytes: int = MAX_NOTEBOOK_BYTES, graded_names: Iterable[str] = (),
                    module_file: str | None = None) -> NotebookSource:
    """Build the graded Python file from a notebook's code cells, in order.

    ``graded_names`` are the functions the grader reads from it: a self-test cell keeps what binds them.
    ``module_file`` is the assignment's file name (``losses.py``): when cells write it with
    ``%%writefile``, the file they write is graded instead of the notebook's other cells.
    Returns a NotebookSource (text, line map, notes). Raises NotebookRejected when the file is
    not a notebook, is too large, has no code, too much code, or a syntax error (naming its cell).
    """
    notebook = load_notebook(data, filename, max_bytes)
    # Before any cell is tokenized or parsed, which for megabytes of code costs gigabytes and
    # seconds under the parse lock; the graded text is measured again below (a cell may gain a newline).
    _check_code_size(code_bytes(notebook), filename, max_code_bytes)
    parts: list[str] = []
    result = NotebookSource(filename=filename, text="")
    dropped: list[str] = []
    cells: list[Cell] = []
    code = [(number, cell_text(cell)) for number, cell in enumerate(notebook.cells, 1)
            if cell.get("cell_type") == "code" and cell_text(cell).strip()]
    written = {number: target for number, text in code if (target := _written_file(text)) is not None}
    module_cells = _module_cells(written, module_file)
    if module_cells:
        # The notebook writes the graded file itself (Colab's `%%writefile losses.py`): that text is
        # the student's file, as `import losses` would load it; the other cells are their work around it.
        result.notes.append(_module_note(filename, module_cells, [number for number, _ in code
                                                                  if number not in module_cells], module_file))
        code = [(number, _without_magic_line(text)) for number, text in code if number in module_cells]
    for number, text in code:
        if not text.strip():
            continue
        text, removed = _without_ipython_syntax(text)
        dropped.extend(f"cell {number}, line {row}: {what}" for row, what in removed)
        cells.append(Cell(number, text, _parse_cell(text, filename, number)))
    graded = graded_cells(cells, graded_names)
    # `from __future__` imports, valid atop any cell in Jupyter, open the graded file (line 1).
    preamble = f"from __future__ import {', '.join(graded.future_features)}\n" if graded.future_features else ""
    parts.append(preamble)
    line = 1 + preamble.count("\n")
    for cell, text in zip(cells, graded.texts):
        if not text.endswith("\n"):
            text += "\n"
        result.cells.append((line, cell.number))
        parts.append(text)
        line += text.count("\n")
    result.text = "".join(parts)
    if not result.text.strip():
        skipped = _unused_definitions(code, set(graded_names), filename, module_file)
        raise NotebookRejected(f"{filename} has no code cells with code: write your functions in code cells "
                               "and submit again." + "".join(f"\n{note}" for note in skipped))
    _check_code_size(len(result.text.encode("utf-8")), filename, max_code_bytes)
    try:
        tree = parse_python(result.text, filename=filename)
    except SyntaxError as error:  # valid cell by cell, not together (e.g. a late `from __future__`)
        where = result.where(error.lineno or 1) or "a cell"
        raise NotebookRejected(f"{filename} has a syntax error in {where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise NotebookRejected(f"{filename} cannot be parsed as Python: {type(error).__name__}: {error}") from None
    _check_written_imports(tree, result, written, module_cells)
    bound = {node.id for statement in tree.body for node in ast.walk(statement)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    bound |= {statement.name for statement in tree.body if isinstance(statement, _DEFINITIONS)}
    result.notes += _unused_definitions(code, set(graded_names) - bound, filename, module_file)
    if dropped:
        shown = "; ".join(dropped[:6]) + ("; ..." if len(dropped) > 6 else "")
        result.notes.append(f"{filename}: IPython magics and shell escapes are not Python, so the grader skips "
                            f"them ({shown}). Import what you need with Python `import` lines.")
    if graded.self_tests:
        numbers = ", ".join(str(number) for number in graded.self_tests)
        subject = f"cells {numbers} call or print" if len(graded.self_tests) > 1 else f"cell {numbers} calls or prints"
        result.notes.append(f"{filename}: {subject} at top level (your own tests): the grader keeps their "
                            "definitions, imports and constants your functions use, and skips the calls, prints, "
                            "asserts and what only they need.")
    return result


def _written_file(text: str) -> tuple[str, bool] | None:
    """(path, appends) of a `%%writefile [-a] PATH` cell, else None. The file is never written: its text is read."""
    first = text.lstrip().split("\n", 1)[0].strip()
    if not first.startswith("%%"):
        return None
    words = first[2:].split()
    if not words or words[0] not in WRITEFILE_MAGICS:
        return None
    appends = any(word in ("-a", "--append") for word in words[1:])
    paths = [word for word in words[1:] if word not in ("-a", "--append")]
    if len(paths) != 1:
        return None
    return paths[0].strip("'\""), appends


def _module_cells(written: dict[int, tuple[str, bool]], module_file: str | None) -> list[int]:
    """The cells whose `%%writefile` leaves ``module_file``'s final text: from the last one that overwrites it on."""
    if not module_file:
        return []
    numbers = [number for number, (path, _) in written.items()
               if PurePath(path.replace("\\", "/")).name.lower() == module_file.lower()]
    starts = [number for number in numbers if not written[number][1]]
    return [number for number in numbers if not starts or number >= starts[-1]]


def _module_note(filename: str, module_cells: list[int], others: list[int], module_file: str | None) -> str:
    subject = (f"cells {', '.join(map(str, module_cells))} write" if len(module_cells) > 1
               else f"cell {module_cells[0]} writes")
    note = f"{filename}: {subject} {module_file} (%%writefile): the grader grades that file's code"
    if others:
        listed = ", ".join(map(str, others))
        note += f", not the notebook's other code cells ({'cell' if len(others) == 1 else 'cells'} {listed})"
    return note + ". Nothing is written to disk when grading."


def _check_written_imports(tree: ast.Module, result: NotebookSource, written: dict[int, tuple[str, bool]],
                           module_cells: list[int]) -> None:
    """Refuse graded code that imports a module only a `%%writefile` cell of the notebook writes (it would not load)."""
    modules = {PurePath(path.replace("\\", "/")).stem: number for number, (path, _) in written.items()
               if number not in module_cells and path.endswith(".py")}
    if not modules:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module.split(".")[0]]
        else:
            continue
        for name in names:
            if name in modules:
                where = result.where(node.lineno) or "a cell"
                raise NotebookRejected(
                    f"{result.filename}: {where} imports {name}, which cell {modules[name]} writes with %%writefile. "
                    f"The grader grades your functions as one file and writes no other files, so {name} cannot "
                    f"be imported: put the code of {name}.py in a code cell without the %%writefile line, and "
                    "remove the import.")


def _unused_definitions(code: list[tuple[int, str]], missing: set[str], filename: str,
                        module_file: str | None) -> list[str]:
    """Notes for graded functions defined only in a cell the grader skips (`%%timeit`, `%%writefile other.py`...)."""
    notes: list[str] = []
    for number, text in code:
        first = text.lstrip().split("\n", 1)[0].strip()
        magic = first[2:].split(None, 1)[0] if first.startswith("%%") and first[2:].strip() else ""
        if not missing or not magic or magic in PYTHON_BODY_CELL_MAGICS:
            continue
        try:
            body = parse_python(_without_magic_line(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        found = sorted(missing & {node.name for node in body.body if isinstance(node, _DEFINITIONS)})
        if not found:
            continue
        target = _written_file(text)
        if target is not None:
            why = f"it is a %%{magic} {target[0]} cell: it only writes {target[0]}, which is not graded"
            fix = f"Write {module_file} (%%{magic} {module_file}) or remove" if module_file else "Remove"
        else:
            why = f"it is a %%{magic} cell: IPython runs its code apart from the notebook's, or not at all"
            fix = "Remove"
        notes.append(f"{filename}: cell {number} defines {', '.join(found)}, but {why}, so the grader skips it. "
                     f"{fix} the %%{magic} line to make it a plain code cell.")
    return notes


def _without_magic_line(text: str) -> str:
    """A cell's text with its first non-blank line (the cell magic) blank: the cell's line numbers keep."""
    lines = text.splitlines(keepends=True)
    first = next(index for index, row in enumerate(lines) if row.strip())
    lines[first] = "\n"
    return "".join(lines)


def _check_code_size(size: int, filename: str, max_code_bytes: int) -> None:
    if size > max_code_bytes:
        raise NotebookRejected(f"the code cells of {filename} hold {size:,} bytes; the limit is {max_code_bytes:,} "
                               "bytes. Remove large data or generated code from them.")


# Appended after the student's cells (so no line moves): prints made by the student's code say
# which cell and line they come from. Module globals are looked up at call time, so functions
# defined above use it. It runs in the sandbox like the rest of the student's file.
_PRINT_LABELS = '''
def print(*args, _cells={cells}, **kwargs):
    import builtins as _builtins, sys as _sys
    caller = _sys._getframe(1)
    where = ""
    if caller.f_code.co_filename == {module_file}:
        for first, number in _cells:
            if first <= caller.f_lineno:
                where = "[cell %d, line %d] " % (number, caller.f_lineno - first + 1)
    stream = kwargs.get("file") or _sys.stdout
    if where and stream in (_sys.stdout, _sys.stderr):
        stream.write(where)
    _builtins.print(*args, **kwargs)
'''


def _without_ipython_syntax(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Blank IPython-only lines (magics, shell escapes, help), keeping line numbers. Returns (text, removed)."""
    lines = text.splitlines(keepends=True)
    removed: list[tuple[int, str]] = []
    first = next((index for index, row in enumerate(lines) if row.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()[2:].split(None, 1)[0] if lines[first].strip()[2:] else ""
        if magic in PYTHON_BODY_CELL_MAGICS:
            lines[first] = "\n"
            removed.append((first + 1, f"%%{magic}"))
        else:
            removed.append((first + 1, f"the %%{magic} cell"))
            return "\n" * len(lines), removed
    text, blanked = _inert_ipython_lines(lines)
    return text, sorted(removed + blanked)


def _inert_ipython_lines(lines: list[str]) -> tuple[str, list[tuple[int, str]]]:
    """Make each magic, shell or help line `pass` (or `x = None`), unless it lies inside a string or brackets."""
    candidates = [index for index, row in enumerate(lines) if _looks_like_ipython(row)]
    if not candidates:
        return "".join(lines), []
    replaced = list(lines)
    for index in candidates:
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        assigned = _IPYTHON_ASSIGNMENT.match(lines[index].strip())
        # `t = %timeit -o ...` / `files = !ls`: the name stays bound, as the cells after may read it.
        replaced[index] = f"{indent}{assigned.group(1)} = None\n" if assigned else f"{indent}pass\n"
    inside = _lines_inside_strings_or_brackets("".join(replaced))
    removed = []
    for index in candidates:
        if index + 1 in inside:
            replaced[index] = lines[index]  # a line of a string or a continued expression, not a magic
        else:
            removed.append((index + 1, lines[index].strip()[:60]))
    return "".join(replaced), removed


def script_without_ipython(text: str, tree: ast.Module | None = None) -> tuple[str, list[tuple[int, str]]]:
    """A .py saved from a notebook, IPython's lines made inert (line numbers kept). Returns (text, removed).

    Colab's "Download .py" keeps `!pip install ...` lines (a syntax error in Python), `jupyter nbconvert
    --to script` writes `get_ipython().run_line_magic(...)` and `get_ipython().system(...)` statements
    (a NameError outside IPython). Shell and magic lines are blanked only when the file does not parse
    as it is; top-level `get_ipython()` statements become `pass` (`x = get_ipython().getoutput(...)`
    becomes `x = None`). Nothing else changes. ``tree`` is ``text`` parsed already, if the caller has it.
    """
    removed: list[tuple[int, str]] = []
    try:
        tree = tree or parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        text, removed = _inert_ipython_lines(text.splitlines(keepends=True))
        try:
            tree = parse_python(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return text, removed
    lines = text.splitlines(keepends=True)
    for statement in tree.body:
        value = statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else None
        if not _calls_get_ipython(value) or statement.end_lineno is None:
            continue
        first, last = statement.lineno - 1, statement.end_lineno - 1
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        removed.append((statement.lineno, lines[first].strip()[:60]))
        target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else None
        lines[first] = f"{indent}{target.id} = None\n" if isinstance(target, ast.Name) else f"{indent}pass\n"
        for index in range(first + 1, last + 1):
            lines[index] = "\n"
    return "".join(lines), sorted(removed)


def _calls_get_ipython(value: ast.expr | None) -> bool:
    """``get_ipython().anything(...)``: a statement of an nbconvert script standing for a magic or a shell line."""
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Call) and isinstance(value.func.value.func, ast.Name)
            and value.func.value.func.id == "get_ipython")


def _looks_like_ipython(row: str) -> bool:
    stripped = row.strip()
    if not stripped or stripped.startswith("#"):
        return False
    if stripped[0] in "%!":
        return not stripped.startswith("!=")
    if _IPYTHON_ASSIGNMENT.match(stripped) or _AUTOMAGIC_INSTALL.match(stripped):
        return True
    # `np.mean?`, `?np.mean`, `??np.mean`, `np.*load*?`: IPython's help and search syntax
    return (stripped.startswith("?") or (stripped.endswith("?") and "#" not in stripped)) and \
        re.fullmatch(r"\?{0,2}[\w.*]+\?{0,2}", stripped) is not None


def _lines_inside_strings_or_brackets(text: str) -> set[int]:
    """Lines (1-based) that start inside a multi-line string or an open bracket."""
    inside: set[int] = set()
    depth = 0
    depth_at_line: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            depth_at_line.setdefault(token.start[0], depth)
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(depth - 1, 0)
            if token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    inside.update(line for line, level in depth_at_line.items() if level > 0)
    return inside


def _parse_cell(text: str, filename: str, number: int) -> ast.Module:
    try:
        return parse_python(text, filename=f"cell {number}")
    except SyntaxError as error:
        where = f"cell {number}" + (f", line {error.lineno}" if error.lineno else "")
        message = f"{filename} has a syntax error in {where}: {error.msg}"
        if error.text:
            pointer = " " * max((error.offset or 1) - 1, 0) + "^"
            message += f"\n    {error.text.rstrip()}\n    {pointer}"
        raise NotebookRejected(message) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise NotebookRejected(f"{filename}: cell {number} cannot be parsed as Python: "
                               f"{type(error).__name__}: {error}") from None


def notebook_from_source(source: str, title: str, intro: str = "") -> Any:
    """Split a Python file into a notebook: a title, the file's preamble, then a markdown and a code cell per function.

    Code between functions goes with the function after it; the file's text is kept verbatim,
    so the notebook's code cells, joined, are the file again (plus blank lines).
    """
    nbformat = _nbformat()
    tree = parse_python(source)
    lines = source.splitlines(keepends=True)
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{intro}".rstrip() + "\n")]
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    start = 0
    for node in functions:
        first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list]) - 1
        # Comments right above a function belong to it.
        while first > start and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        if start == 0 and "".join(lines[:first]).strip():
            cells.append(nbformat.v4.new_code_cell("".join(lines[:first]).strip("\n")))
        elif start and "".join(lines[start:first]).strip():
            first = start  # helpers between functions stay with the next function
        end = node.end_lineno or node.lineno
        docstring = ast.get_docstring(node) or ""
        signature = f"{node.name}({ast.unparse(node.args)})" if not isinstance(node, ast.ClassDef) else node.name
        cells.append(nbformat.v4.new_markdown_cell(f"## `{signature}`\n\n{docstring}".rstrip() + "\n"))
        cells.append(nbformat.v4.new_code_cell("".join(lines[first:end]).strip("\n")))
        start = end
    rest = "".join(lines[start:]).strip("\n")
    if rest.strip():
        cells.append(nbformat.v4.new_code_cell(rest))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def starter_notebook(starter: str, title: str, notebook_name: str, assignment: str) -> str:
    """Return the starter notebook of an assignment (JSON text), generated from its ``starter.py``."""
    intro = (f"Write each function in its code cell, then check your work with `grade {assignment} "
             f"{notebook_name}` (or submit this notebook). Only code cells are graded; markdown is ignored. "
             "Cells that call or print at top level are your own tests: the grader does not run them.")
    notebook = notebook_from_source(starter, title, intro)
    nbformat = _nbformat()
    notebook.cells.append(nbformat.v4.new_markdown_cell("## Try your functions\n\nNot graded: call your functions "
                                                        "here on small inputs you can check by hand."))
    notebook.cells.append(nbformat.v4.new_code_cell("import numpy as np\n\n# e.g. print(...) your results here"))
    for number, cell in enumerate(notebook.cells, 1):
        cell["id"] = f"cell-{number}"  # stable ids: the same starter gives the same file
    return nbformat.writes(notebook)


def stored_notebook(data: bytes, filename: str, max_code_bytes: int, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str:
    """Return the notebook as the service stores it (JSON, no outputs), its code held to ``max_code_bytes``.

    Raises NotebookRejected for what is not a notebook, a file over ``max_bytes`` or code over the limit.
    """
    notebook = load_notebook(data, filename, max_bytes)
    size = code_bytes(notebook)
    if size > max_code_bytes:
        raise NotebookRejected(f"The code cells of {filename} have {size:,} bytes; the limit is {max_code_bytes:,} bytes.")
    return _nbformat().writes(notebook)


def code_bytes(notebook: Any) -> int:
    """The size in bytes of a notebook's code cells (what the assignment's file-size limit applies to)."""
    return sum(len(cell_text(cell).encode("utf-8")) for cell in notebook.cells if cell.get("cell_type") == "code")


def readable_source(filename: str, text: str) -> str:
    """Return a stored submission as Python to read: a notebook in cells (``# %% [cell 3]``), a file unchanged."""
    if not is_notebook(filename, text.encode("utf-8", "replace")[:65536]):
        return text
    try:
        notebook = load_notebook(text.encode("utf-8"), filename)
    except NotebookRejected:
        return text
    parts = []
    for number, cell in enumerate(notebook.cells, 1):
        body = cell_text(cell).rstrip("\n")
        if cell.get("cell_type") == "code":
            parts.append(f"# %% [cell {number}]\n{body}\n")
        else:
            commented = "\n".join(f"# {row}".rstrip() for row in body.splitlines())
            parts.append(f"# %% [cell {number}] {cell.get('cell_type', 'markdown')}\n{commented}\n")
    return "\n".join(parts)


def python_source(filename: str, text: str, module_file: str | None = None) -> str:
    """Return the Python of a stored submission: a .py unchanged, a notebook's graded code (cells in order).

    For code that reads submissions as Python (similarity, exports): a notebook whose code cannot be
    graded gives its code cells joined as written; one that is not a notebook at all gives "".
    ``module_file`` is the assignment's file name: a notebook writing it with %%writefile gives that code.
    """
    data = text.encode("utf-8", "replace")
    if not is_notebook(filename, data):
        return text
    try:
        return notebook_source(data, filename, max_code_bytes=len(data) + 1, module_file=module_file).text
    except NotebookRejected:
        try:
            notebook = load_notebook(data, filename)
        except NotebookRejected:
            return ""
        return "\n".join(cell_text(cell) for cell in notebook.cells if cell.get("cell_type") == "code")
