"""What reading a hostile submission costs the grader, before any sandbox limit applies.

The trusted side parses every file it is handed (the grader, the web upload check, similarity
indexing) in its own process. Each case here is the worst input found for one step, within the
size limits; its CPU time (not wall time: the machine is shared) must stay far below what it cost
before the step was bounded, with a wide margin over what it costs now.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable

import pytest

from autograder.grading import notebook_json
from autograder.grading.engine import _python_source
from autograder.grading.notebook import (
    MAX_CELLS, MAX_NOTEBOOK_BYTES, NotebookRejected, notebook_source, python_source, stored_notebook,
)
from autograder.similarity.fingerprints import fingerprint_source

LIMIT = 200_000  # an assignment's default max_file_bytes


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def _fill(unit: str, size: int = LIMIT) -> str:
    return unit * (size // len(unit))


def test_thousands_of_unavailable_imports_among_other_lines_cost_linear_time():
    # 7,000 `import torch` lines and 50,000 others (200 kB): a list search per statement cost 9 s.
    source = (_fill("import torch\n", LIMIT // 2) + _fill("x\n", LIMIT // 2)).encode()
    notes: list[str] = []
    spent = cpu_seconds(lambda: _python_source(source, "losses.py", LIMIT, notes))
    assert "imports libraries the grader does not have" in notes[-1]
    assert spent < 3.0, spent


@pytest.mark.parametrize("line", [
    "x = (" + ",".join(["1"] * 99_000) + ")\n",  # a 200 kB tuple on one line
    "x = {" + ",".join(["1:1"] * 49_000) + "}\n",
    "x = " + "<".join(["a"] * 99_000) + "\n",
], ids=["tuple", "dict", "comparison"])
def test_a_200_kb_line_costs_similarity_linear_time(line):
    # CPython 3.11's C tokenizer copies the whole line into every token: 100,000 tokens on one
    # line cost 20 GB of copying, 5 to 18 s of the indexer's CPU per submission.
    spent = cpu_seconds(lambda: fingerprint_source(line))
    # Quiet, the self-test cell costs 3.3 s of CPU for the three reads, the others about 1 s; CPU time
    # grows on a crowded machine too (4.4 s beside a CPU hog), so the bound leaves room for that.
    assert spent < 8.0, spent


def test_long_lines_are_tokenised_as_short_ones_are(monkeypatch):
    from autograder.similarity import tokens

    source = (tokens.__file__ and open(tokens.__file__).read())
    expected = tokens.normalise(source)
    monkeypatch.setattr(tokens, "C_TOKENIZER_MAX_LINE", 0)  # every file takes the long-line path
    assert tokens.normalise(source) == expected


def _notebook(cells: list[str], output: bytes = b"") -> bytes:
    """A v4 notebook of code cells; ``output`` (raw JSON) is the first cell's stored result."""
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "id": f"cell-{number}", "source": source, "metadata": {},
                           "outputs": [], "execution_count": None} for number, source in enumerate(cells)]}
    data = json.dumps(document).encode()
    if output:
        data = data.replace(b'"outputs": []', b'"outputs": [{"output_type": "execute_result", "metadata": {}, '
                            b'"execution_count": 1, "data": {"application/json": ' + output + b'}}]', 1)
    return data


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize("value", [b"[]", b"{}"], ids=["lists", "dicts"])
def test_a_json_bomb_in_stored_outputs_is_refused_outside_the_graders_process(value):
    # 40 MiB of `[],` is 14 million lists: json.loads in the grader took 1 GB of its memory and
    # 1-6 s of its CPU, in the upload check, the grader and the Gradescope runner alike.
    count = (MAX_NOTEBOOK_BYTES - 1000) // (len(value) + 1)
    bomb = b"[" + value + (b"," + value) * (count - 1) + b"]"  # repeated bytes: no list of 14 million items
    data = _notebook(["def mse(y, t):\n    return 0.0\n"], bomb)
    assert len(data) <= MAX_NOTEBOOK_BYTES
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = _children_cpu()

    def read() -> None:
        with pytest.raises(NotebookRejected, match="holds more values than the grader reads"):
            notebook_source(data, "answers.ipynb", LIMIT)

    assert cpu_seconds(read) < 1.0
    spent_by_child = _children_cpu() - children
    # Refused by its count of arrays and objects, before parsing (which took the child 2-3.5 s).
    assert spent_by_child < 1.0, spent_by_child
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    assert grown_mb < 400, grown_mb  # the file and its copies; the parsed values were the child's


def test_outputs_with_many_arrays_below_the_count_are_still_read():
    count = 600_000  # 1.8 MB of `[],`: read in the child, a third of MAX_CONTAINERS
    assert count * 3 > notebook_json.IN_PROCESS_BYTES and count < notebook_json.MAX_CONTAINERS
    cells = ["def mse(y, t):\n    return 0.0\n"]
    data = _notebook(cells, b"[" + b",".join([b"[]"] * count) + b"]")
    assert notebook_source(data, "a.ipynb", LIMIT).text == notebook_source(_notebook(cells), "a.ipynb", LIMIT).text


def test_a_large_notebook_is_read_in_the_child_as_a_small_one_is_read_in_process():
    cells = ["import numpy as np\n", "def mse(y, t):\n    return np.mean((y - t) ** 2)\n", "print(mse(1, 2))\n"]
    small = _notebook(cells)
    large = _notebook(cells, json.dumps("x" * (2 * notebook_json.IN_PROCESS_BYTES)).encode())
    assert len(small) <= notebook_json.IN_PROCESS_BYTES < len(large)
    children = _children_cpu()
    assert notebook_source(large, "a.ipynb", LIMIT).text == notebook_source(small, "a.ipynb", LIMIT).text
    assert _children_cpu() > children  # the large one was parsed by a child
    assert stored_notebook(large, "a.ipynb", LIMIT) == stored_notebook(small, "a.ipynb", LIMIT)
    too_many = _notebook(["x = 1\n"] * (MAX_CELLS + 1), json.dumps("x" * notebook_json.IN_PROCESS_BYTES).encode())
    with pytest.raises(NotebookRejected, match=f"{MAX_CELLS + 1:,} cells; the limit is {MAX_CELLS:,}"):
        notebook_source(too_many, "a.ipynb", LIMIT)


@pytest.mark.parametrize("cell", [
    "x = (" + ",".join(["1"] * 40) + ")\nprint(x)\n",  # a self-test cell: walked, lines blanked
    "def f(a):\n    return b\n",  # a definition: symtable
    "%time\nx = [1]\n",  # IPython syntax: tokenized
], ids=["self-test", "def", "magic"])
def test_a_notebook_at_every_limit_at_once_costs_the_grader_a_few_seconds(cell):
    # MAX_CELLS code cells holding max_file_bytes of code, and 35 MB of stored outputs: at 10,000
    # cells this cost 1.5 to 3 s of the grader's CPU per read (upload check, grader, similarity).
    cells = [cell] * min(MAX_CELLS, LIMIT // len(cell))
    data = _notebook(cells, json.dumps("x" * (35 << 20)).encode())
    children = _children_cpu()
    spent = cpu_seconds(lambda: notebook_source(data, "answers.ipynb", LIMIT, graded_names=["mse"]))
    spent += _children_cpu() - children
    stored = stored_notebook(data, "answers.ipynb", LIMIT)
    spent += cpu_seconds(lambda: python_source("answers.ipynb", stored))
    # Quiet, the self-test cell costs 3.3 s of CPU for the three reads, the others about 1 s; CPU time
    # grows on a crowded machine too (4.4 s beside a CPU hog), so the bound leaves room for that.
    assert spent < 8.0, spent


def test_relabelling_a_long_traceback_of_a_notebook_at_the_cell_limit_costs_a_search_per_line():
    # What the child sends is capped (2,000 characters of message and 40 lines of traceback per call,
    # 1,500 of console), but every failing check's output is relabelled, each line reference with
    # a scan over every cell's first line until this was a search.
    from autograder.grading.notebook import NotebookSource

    source = NotebookSource("a.ipynb", "x = 1\n" * MAX_CELLS, cells=[(row, row) for row in range(1, MAX_CELLS + 1)])
    traceback = "".join(f'  File "losses.py", line {MAX_CELLS - row % 7}, in f\n' for row in range(5000))
    spent = cpu_seconds(lambda: source.relabel(traceback, "losses.py"))
    assert source.relabel('File "losses.py", line 1999', "losses.py") == "cell 1999, line 1"
    assert spent < 0.5, spent


@pytest.mark.parametrize("wrap", ["", "if True:\n"], ids=["top level", "in one block"])
def test_a_cell_of_100_000_statements_costs_linear_time(wrap):
    # The most nodes 200 kB of code can hold: Python's parse and the self-test analysis' one walk
    # of each statement (once six, with ast.walk's generators) are what it costs.
    body = "".join(f"{' ' if wrap else ''}a\n" for _ in range((LIMIT - 100) // (3 if wrap else 2)))
    data = _notebook(["print('a self-test cell')\n" + wrap + body, "def mse(y, t):\n    return 0.0\n"])
    spent = cpu_seconds(lambda: notebook_source(data, "answers.ipynb", LIMIT, graded_names=["mse"]))
    assert spent < 8.0, spent
