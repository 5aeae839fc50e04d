"""A notebook's JSON, read down to what grading uses; a large one in a process with memory and CPU limits.

``json.loads`` builds a Python object for every JSON value, and a notebook may be 40 MiB (stored
images): 40 MiB of ``[],`` is 14 million lists, a gigabyte of the grader's memory and seconds of
its CPU, in the web worker that checks an upload, the grader and the Gradescope runner alike. So a
file over ``IN_PROCESS_BYTES`` is parsed by ``python -I -m autograder.grading.notebook_json``
(the clean environment, no secrets) under ``CHILD_MEMORY_BYTES`` of address space and
``CHILD_CPU_SECONDS`` of CPU; it writes back the document slimmed (below), a few values per cell.
A smaller file is slimmed in the caller's process, by the same function.

Slimmed: only ``nbformat``, ``nbformat_minor``, the cells (v3: the worksheets' cells) and the
``kernelspec`` and ``language_info`` metadata are kept; of a cell, its type, id, source (joined
into one string) and, for v3, its ``input``, ``language`` and ``level``. Outputs, attachments and
every other metadata are dropped unread. This module uses the standard library only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# Cells of any kind (empty ones too): nbformat validates each at ~30 us, so 40 MiB of empty cells
# (a million) cost half a minute of the grader's CPU per read; 10,000 cells of a line of code each
# still cost it 1.5-3 s (validation, a parse and a look per cell). A course notebook has a few hundred.
MAX_CELLS = 2_000
# At most ~350,000 JSON values (25 MB, tens of ms): read in the caller's process.
IN_PROCESS_BYTES = 1 << 20
# A 40 MiB notebook of images and text needs ~200 MB to parse; the child holds nothing but the file.
CHILD_MEMORY_BYTES = 768 << 20
CHILD_CPU_SECONDS = 4
CHILD_WALL_SECONDS = 60  # a machine busy enough to take this long is not the file's fault: see read_document
# JSON arrays and objects the child parses at most: each is a list or dict of 56 bytes or more (4 million
# `[]` took 1.1 s and 374 MB here). Counted as bytes first, brackets inside strings too, so `[],` repeated
# over 40 MiB (14 million lists) is refused in tens of ms instead of seconds of parsing up to the memory
# limit. A notebook's outputs hold far fewer: a plot's arrays are numbers, a printed list is truncated text.
MAX_CONTAINERS = 2_000_000
_KEPT_METADATA = ("kernelspec", "language_info")
_KEPT_CELL_KEYS = ("cell_type", "id", "source", "input", "language", "level")
_SCALARS = (str, int, float, bool, type(None))
_MAX_METADATA_ENTRIES = 64


class UnreadableNotebook(ValueError):
    """The file is not a notebook the grader can read; the message says why, for the student."""


def read_document(data: bytes, filename: str) -> dict[str, Any]:
    """Return the notebook's JSON, slimmed (see the module's docstring); raise UnreadableNotebook.

    Raises UnreadableNotebook for text that is not UTF-8 JSON, JSON that is not a notebook, too
    many cells, or JSON too large to read within the child's limits.
    """
    if len(data) <= IN_PROCESS_BYTES:
        return slimmed_document(data, filename)
    return _read_in_child(data, filename)


def slimmed_document(data: bytes, filename: str) -> dict[str, Any]:
    """Parse ``data`` and keep what grading uses; raise UnreadableNotebook. Runs in the child for large files."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnreadableNotebook(f"{filename} is not a Jupyter notebook: it is not UTF-8 text.") from None
    except (ValueError, RecursionError) as error:  # JSONDecodeError, or an integer past 4300 digits
        raise UnreadableNotebook(f"{filename} is not a Jupyter notebook: it is not valid JSON ({error}). "
                                 "Submit the .ipynb file Jupyter saved, or your .py file.") from None
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int) or not (
            isinstance(document.get("cells"), list) or isinstance(document.get("worksheets"), list)):
        raise UnreadableNotebook(f"{filename} is JSON but not a Jupyter notebook (it has no \"nbformat\" version "
                                 "and \"cells\" list). Submit the .ipynb file Jupyter saved, or your .py file.")
    if document["nbformat"] < 3 or document["nbformat"] > 4:
        raise UnreadableNotebook(f"{filename} is in notebook format v{document['nbformat']}; the grader reads "
                                 "v3 and v4 (save it with a current Jupyter).")
    worksheets = document.get("worksheets")  # v3 keeps its cells in worksheets
    count = len(document["cells"]) if isinstance(document.get("cells"), list) else sum(
        len(sheet["cells"]) for sheet in (worksheets if isinstance(worksheets, list) else ())
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list))
    if count > MAX_CELLS:
        raise UnreadableNotebook(f"{filename} has {count:,} cells; the limit is {MAX_CELLS:,}. Merge or delete "
                                 "cells (empty ones too) and save again.")
    metadata = document.get("metadata")
    slim: dict[str, Any] = {
        "nbformat": document["nbformat"],
        "metadata": {key: _small_mapping(metadata[key]) for key in _KEPT_METADATA
                     if isinstance(metadata, dict) and isinstance(metadata.get(key), dict)},
    }
    if isinstance(document.get("nbformat_minor"), int):
        slim["nbformat_minor"] = document["nbformat_minor"]
    if isinstance(document.get("cells"), list):
        slim["cells"] = [_slim_cell(cell) for cell in document["cells"]]
    elif isinstance(worksheets, list):
        slim["worksheets"] = [{"cells": [_slim_cell(cell) for cell in sheet["cells"]], "metadata": {}}
                              if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list) else None
                              for sheet in worksheets]
    return slim


def _slim_cell(cell: Any) -> Any:
    if not isinstance(cell, dict):
        return None  # malformed either way; what it held is not read
    kept: dict[str, Any] = {}
    for key in _KEPT_CELL_KEYS:
        if key not in cell:
            continue
        value = cell[key]
        if key in ("source", "input"):
            value = _text(value)
        elif not isinstance(value, (str, int)):
            continue  # an id, type or level that is not even a scalar: dropped, the cell is judged without it
        kept[key] = value
    kept["metadata"] = {}
    if kept.get("cell_type") == "code":
        kept["outputs"] = []
        kept["execution_count" if "input" not in kept else "prompt_number"] = None
    return kept


def _text(source: Any) -> Any:
    """A cell's source as one string; anything but text (or a list of text) as ``0``, which no reader accepts."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return 0


def _small_mapping(value: dict[str, Any]) -> dict[str, Any]:
    """Kernel metadata as Jupyter writes it: a few scalars, or mappings of scalars (``codemirror_mode``)."""
    kept: dict[str, Any] = {}
    for key, item in list(value.items())[:_MAX_METADATA_ENTRIES]:
        if isinstance(item, _SCALARS):
            kept[key] = item
        elif isinstance(item, dict) and len(item) <= _MAX_METADATA_ENTRIES and all(
                isinstance(inner, _SCALARS) for inner in item.values()):
            kept[key] = item
    return kept


def _read_in_child(data: bytes, filename: str) -> dict[str, Any]:
    from autograder.sandbox.launch import clean_environment  # standard library only

    try:
        finished = subprocess.run([sys.executable, "-I", "-m", "autograder.grading.notebook_json", filename],
                                  input=data, capture_output=True, timeout=CHILD_WALL_SECONDS,
                                  env=clean_environment(), cwd="/", check=False)
    except subprocess.TimeoutExpired:
        raise UnreadableNotebook(f"{filename} cannot be read as a Jupyter notebook: reading its JSON took over "
                                 f"{CHILD_WALL_SECONDS} s. Clear all outputs (Edit > Clear All Outputs), save "
                                 "and submit again.") from None
    try:
        answer = json.loads(finished.stdout) if finished.returncode == 0 else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("rejected"), str):
        raise UnreadableNotebook(answer["rejected"])
    if isinstance(answer, dict) and isinstance(answer.get("document"), dict):
        return answer["document"]
    raise UnreadableNotebook(_too_many_values(filename))


def _too_many_values(filename: str) -> str:
    return (f"{filename} cannot be read as a Jupyter notebook: its JSON holds more values than the grader reads "
            "within its limits (stored outputs with millions of entries?). Clear all outputs (Edit > Clear All "
            "Outputs), save and submit again.")


def _limit_this_process() -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX: the wall-clock timeout remains
        return
    for limit, value in ((resource.RLIMIT_AS, CHILD_MEMORY_BYTES), (resource.RLIMIT_CPU, CHILD_CPU_SECONDS),
                         (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


def main() -> None:
    """The child: limits first, then the file from stdin; one JSON answer on stdout."""
    _limit_this_process()
    filename = sys.argv[1] if len(sys.argv) > 1 else "notebook.ipynb"
    data = sys.stdin.buffer.read()
    if data.count(b"[") + data.count(b"{") > MAX_CONTAINERS:
        sys.stdout.write(json.dumps({"rejected": _too_many_values(filename)}))
        return
    try:
        answer: dict[str, Any] = {"document": slimmed_document(data, filename)}
    except UnreadableNotebook as error:
        answer = {"rejected": str(error)}
    except MemoryError:
        sys.exit(3)  # the caller says what it means
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
