"""What reading a notebook costs: converting it, and grading it against grading the same code as a .py.

    .venv/bin/python bench/notebook_bench.py [--runs 20]

Prints the conversion time of a notebook of the losses reference (small, and with a 20 MB stored
image) and the median time to grade it, next to the .py baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time

import nbformat

from autograder.grading.assignment import find_assignment
from autograder.grading.engine import grade_source
from autograder.grading.notebook import notebook_from_source, notebook_source
from autograder.sandbox import open_executor


def _median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    losses = find_assignment("losses")
    notebook = notebook_from_source(losses.reference_source, "Losses")
    small = nbformat.writes(notebook).encode()
    code_cell = next(cell for cell in notebook.cells if cell.cell_type == "code" and "def mse(" in cell.source)
    code_cell.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(os.urandom(20 << 20)).decode()})
    ]
    large = nbformat.writes(notebook).encode()
    print(
        f"convert, {len(small) / 1024:.0f} kB notebook: median "
        f"{_median_ms(lambda: notebook_source(small, 'losses.ipynb', 200_000), runs):.2f} ms"
    )
    print(
        f"convert, {len(large) / (1 << 20):.1f} MB notebook (20 MB image): median "
        f"{_median_ms(lambda: notebook_source(large, 'losses.ipynb', 200_000), max(3, runs // 5)):.0f} ms"
    )
    executor = open_executor()
    try:
        python = losses.reference_source.encode()
        grade_source(losses, python, executor)  # prepare the suite once
        baseline = _median_ms(lambda: grade_source(losses, python, executor), runs)
        graded = _median_ms(lambda: grade_source(losses, small, executor, filename="losses.ipynb"), runs)
    finally:
        executor.close()
    print(f"grade losses: .py median {baseline:.1f} ms, .ipynb median {graded:.1f} ms, ratio {graded / baseline:.2f}x")


if __name__ == "__main__":
    main()
