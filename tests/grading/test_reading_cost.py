"""What reading a hostile submission costs the grader, before any sandbox limit applies.

The trusted side parses every file it is handed (the grader, the web upload check, similarity
indexing) in its own process. Each case here is the worst input found for one step, within the
size limits; its CPU time (not wall time: the machine is shared) must stay far below what it cost
before the step was bounded, with a wide margin over what it costs now.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from autograder.grading.engine import _python_source
from autograder.services.source_check import defined_names
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
    assert spent < 4.0, spent


def test_long_lines_are_tokenised_as_short_ones_are(monkeypatch):
    from autograder.similarity import tokens

    source = (tokens.__file__ and open(tokens.__file__).read())
    expected = tokens.normalise(source)
    monkeypatch.setattr(tokens, "C_TOKENIZER_MAX_LINE", 0)  # every file takes the long-line path
    assert tokens.normalise(source) == expected
