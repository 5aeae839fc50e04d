"""Measure `grade ./losses-kit losses.py` as a whole process, against `python -c "import numpy"`.

The goal (issue 13): grading a kit offline takes at most 2.5 times as long as importing NumPy,
both measured here in the same run, alternating, so a loaded machine slows both alike.

Both are timed as a student's install runs them: with the package's bytecode compiled (as
`pip install` does; an editable checkout with PYTHONDONTWRITEBYTECODE=1 would otherwise compile
every module of the grader at every run) and the suite cache filled by the warm-up run.

Usage: .venv/bin/python bench/grade_startup_bench.py [--runs 7] [--json-output] [--other-grade PATH]

--other-grade times a second `grade` executable in the same alternation, e.g. an install of the
previous commit (compile its package's bytecode first, as pip would).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RATIO = 2.5


def timed(command: list[str], cwd: Path, environment: dict[str, str], expect: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - started
    if result.returncode != expect:
        raise SystemExit(f"{command} exited {result.returncode}:\n{result.stdout.decode()}\n{result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (after one warm-up)")
    parser.add_argument("--json-output", action="store_true", help="time `grade ... --json` instead of the tables")
    parser.add_argument("--other-grade", type=Path, help="another `grade` executable to time in the same runs")
    options = parser.parse_args()

    import autograder
    from autograder.grading.assignment import find_assignment
    from autograder.grading.kit import write_kit

    compileall.compile_dir(Path(autograder.__file__).parent, quiet=1)  # what pip install does

    grade = Path(sys.executable).with_name("grade")
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as folder:
        work = Path(folder)
        losses = find_assignment("losses")
        write_kit(losses, work / "losses-kit")
        (work / "losses.py").write_text(losses.reference_source)
        # The student's own cache folder, as on a laptop: the first run fills it (the warm-up).
        environment = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "COLUMNS": "120"}
        grade_command = [str(grade), "./losses-kit", "losses.py", *(["--json"] if options.json_output else [])]
        numpy_command = [sys.executable, "-c", "import numpy"]
        other_command = [str(options.other_grade), *grade_command[1:]] if options.other_grade else None
        timed(grade_command, work, environment, expect=0)
        timed(numpy_command, work, environment, expect=0)
        if other_command:
            timed(other_command, work, environment, expect=0)
        load_before = os.getloadavg()[0]
        grade_times, numpy_times, other_times = [], [], []
        for _ in range(options.runs):
            numpy_times.append(timed(numpy_command, work, environment, expect=0))
            grade_times.append(timed(grade_command, work, environment, expect=0))
            if other_command:
                other_times.append(timed(other_command, work, environment, expect=0))
    numpy_median = statistics.median(numpy_times)
    grade_median = statistics.median(grade_times)
    ratio = grade_median / numpy_median
    print(f"python -c 'import numpy'     median {numpy_median * 1000:7.1f} ms  (min {min(numpy_times) * 1000:.1f})")
    print(
        f"{' '.join(['grade', *grade_command[1:]]):<28} median {grade_median * 1000:7.1f} ms  "
        f"(min {min(grade_times) * 1000:.1f})"
    )
    if other_times:
        other_median = statistics.median(other_times)
        print(
            f"{options.other_grade} median {other_median * 1000:7.1f} ms  (min {min(other_times) * 1000:.1f}), "
            f"ratio {other_median / numpy_median:.2f}"
        )
    print(
        f"ratio {ratio:.2f} of the medians (of the minimums {min(grade_times) / min(numpy_times):.2f}); "
        f"goal <= {GOAL_RATIO}: {'PASS' if ratio <= GOAL_RATIO else 'FAIL'}"
    )
    print(
        f"{options.runs} runs each, alternating, after one warm-up; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores: a busy machine slows grade, "
        "which uses both, more than the one-core baseline)"
    )


if __name__ == "__main__":
    main()
