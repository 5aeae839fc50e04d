"""Inside Gradescope's container: grade /autograder/submission/<file> and write results.json.

``python -m autograder.gradescope.run [--root /autograder] [--probe]``. Runs as root (Gradescope
runs ``run_autograder`` as root): this process reads the expected values (root-only files) and
never runs student code; the sandbox runs it under an unprivileged uid with no_new_privs,
rlimits and, where the container allows, seccomp and namespaces. Without an unprivileged uid for
student code, it refuses to grade unless AUTOGRADER_ALLOW_INSECURE_SANDBOX=1.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.config import gradescope_settings, sandbox_options
from autograder.grading.assignment import Assignment, AssignmentError
from autograder.grading.kit import load_kit
from autograder.grading.engine import grade_source
from autograder.grading.report import Report
from autograder.grading.fixtures import FixtureError, read_suite
from autograder.grading.notebook import MAX_NOTEBOOK_BYTES, NOTEBOOK_SUFFIX
from autograder.grading.source_checks import read_submission_file
from autograder.grading.spec import SpecError, load_spec
from autograder.gradescope.archive import CONFIG, FORMAT, GRADED_CASES, KIT
from autograder.gradescope.results import checks_with_hidden_cases, failure_json, results_json
from autograder.sandbox import ALLOW_INSECURE_ENV, Executor, open_executor
from autograder.sandbox.watch import SandboxWatch

ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"
SLOT_ENV = "AUTOGRADER_SANDBOX_SLOT"  # the sandbox uid is 61000 + slot
SUBMISSION_SUFFIXES = (".py", NOTEBOOK_SUFFIX)
# What student code must at least run under here (Gradescope runs it in the grader's own container).
REQUIRED_LAYERS = ("drop_uid",)


@dataclass
class Isolation:
    """What the sandbox could apply to student code in this container, in words for the log."""

    level: str  # "full" or "reduced"
    layers: list[str]
    problems: list[str]
    as_root: bool
    unprivileged_uid: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"sandbox isolation: {self.level}; layers: {', '.join(self.layers) or 'none'}; always: "
            "no_new_privs, rlimits (memory, CPU, processes, file size, descriptors), wall-clock deadline"
        ]
        lines += [f"  unavailable: {problem}" for problem in self.problems]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "layers": self.layers,
            "problems": self.problems,
            "unprivileged_uid": self.unprivileged_uid,
        }


def detect_isolation(executor: Executor) -> Isolation:
    """Describe what ``executor`` applies to student code here (namespaces, jail, uid, seccomp)."""
    layers = list(getattr(executor, "layers", []) or [])
    problems = list(getattr(executor, "problems", []) or [])
    isolation = Isolation(
        level=getattr(executor, "isolation", "reduced"),
        layers=layers,
        problems=problems,
        as_root=os.geteuid() == 0 if hasattr(os, "geteuid") else False,
    )
    isolation.unprivileged_uid = all(layer in layers for layer in REQUIRED_LAYERS)
    if not layers:
        isolation.notes.append(
            "the hardened sandbox could not start: student code would run as a plain child "
            "process of this one (rlimits only)"
        )
    if "namespaces" not in layers:
        isolation.notes.append(
            "no namespaces (Docker's default seccomp profile forbids unshare): student code "
            "sees the container's world-readable files as an unprivileged uid; the expected "
            "values are readable by root only"
        )
    if "seccomp" not in layers:
        isolation.notes.append(
            "no seccomp filter: student code may make any system call its uid allows (sockets included)"
        )
    return isolation


def find_submission(folder: Path, file: str) -> Path:
    """Return the student's file in ``folder``: the assignment's file name, its .ipynb, or the only candidate.

    Raises LookupError with a message for the student.
    """
    stem = Path(file).stem
    for name in (file, f"{stem}{NOTEBOOK_SUFFIX}"):
        if _plain_file_inside(folder / name, folder):
            return folder / name
    candidates = sorted(
        path
        for path in folder.rglob("*")
        if _plain_file_inside(path, folder)
        and path.suffix.lower() in SUBMISSION_SUFFIXES
        and not any(part.startswith((".", "__")) for part in path.relative_to(folder).parts)
    )
    named = [path for path in candidates if path.stem == stem]
    if len(named) == 1:
        return named[0]
    if len(candidates) == 1:
        return candidates[0]
    found = ", ".join(str(path.relative_to(folder)) for path in candidates) or "nothing"
    raise LookupError(f"Submit one file: {file} or {stem}{NOTEBOOK_SUFFIX} (found {found}).")


def _plain_file_inside(path: Path, folder: Path) -> bool:
    """A regular file, not a symbolic link, inside ``folder``: the runner reads it as root.

    A submission holding a link to /etc/shadow or /dev/zero would otherwise have the machine's file
    graded (its first line shown in a syntax error) or read forever.
    """
    try:
        return stat.S_ISREG(path.lstat().st_mode) and path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def read_submission(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it is larger than ``max_bytes``; never follows a link at its last step."""
    return read_submission_file(path, max_bytes, follow_links=False)


def load_graded_assignment(source: Path) -> tuple[Assignment, Assignment, dict[str, Any]]:
    """Load the archive's public kit, its graded (public and hidden) suite and its settings.

    Returns (graded, public, config); raises AssignmentError when the archive is inconsistent.
    """
    try:
        config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
        public = load_kit(source / KIT)
        spec = load_spec(source / KIT / "spec.toml")
        suite, metadata = read_suite(source / GRADED_CASES)
    except (OSError, ValueError, FixtureError, SpecError) as error:
        raise AssignmentError(f"the autograder archive is incomplete: {error}") from None
    if (
        config.get("format") != FORMAT
        or config.get("assignment") != spec.name
        or suite.assignment != spec.name
        or suite.mode != "hidden"
        or type(config.get("hidden_seed")) is not int
    ):
        raise AssignmentError("the autograder archive's files do not belong together")
    if [function.name for function in suite.functions] != [function.name for function in spec.functions]:
        raise AssignmentError("spec.toml and the graded cases list different functions")
    graded = Assignment(
        path=source / KIT,
        spec=spec,
        version=str(metadata.get("version", "")),
        readme="",
        starter="",
        probes_source=public.probes_source,
        kit_suite=suite,
    )
    return graded, public, config


def grade_submission_file(source: Path, submission: Path, executor: Executor) -> dict[str, Any]:
    """Grade one file with the archive in ``source``; return results.json's content."""
    graded_assignment, public_assignment, config = load_graded_assignment(source)
    data = read_submission(submission, MAX_NOTEBOOK_BYTES)
    if data is None:
        return failure_json(
            f"{submission.name} is more than {MAX_NOTEBOOK_BYTES:,} bytes: too large to grade.",
            stdout_visibility=config.get("stdout_visibility", "hidden"),
        )
    # The public cases first: their feedback is always visible, and in Docker's reduced isolation (no
    # jail) a unit can leave traces a later one reads without writing a file (the access times of
    # the files it reads). No hidden input has reached this container's children before then.
    public = _grade_without_sandbox_failures(public_assignment, data, executor, mode="public", filename=submission.name)
    graded = _grade_without_sandbox_failures(
        graded_assignment, data, executor, mode="hidden", hidden_seed=config["hidden_seed"], filename=submission.name
    )
    return results_json(
        graded,
        public,
        checks_with_hidden_cases(graded_assignment.kit_suite),  # type: ignore[arg-type]
        hidden_visibility=config.get("hidden_visibility", "after_published"),
        stdout_visibility=config.get("stdout_visibility", "hidden"),
        extra={"submission": submission.name},
    )


class SandboxFailed(RuntimeError):
    """The sandbox itself failed while grading, twice: no score may be written."""


def _grade_without_sandbox_failures(assignment: Assignment, data: bytes, executor: Executor, **options: Any) -> Report:
    """Grade; when the sandbox itself failed under a unit (never the student's doing), grade once more.

    Raises SandboxFailed when it fails again: a score with such a unit would not be the student's.
    """
    for _ in range(2):
        watch = SandboxWatch(executor)  # the executor starts a fresh zygote for the next unit by itself
        report = grade_source(assignment, data, watch, **options)
        if not watch.failures:
            return report
    raise SandboxFailed(watch.failures[0])


def main(argv: list[str] | None = None) -> int:
    """Grade the submission under ``--root`` (or probe the isolation with ``--probe``). Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run")
    root, slot, allow_insecure = gradescope_settings()
    parser.add_argument("--root", default=root)
    parser.add_argument("--probe", action="store_true", help="only say what isolation this container allows")
    options = parser.parse_args(argv)
    root = Path(options.root)
    results_path = root / "results" / "results.json"
    started = time.monotonic()
    executor = open_executor(slot=slot, options=sandbox_options())
    try:
        isolation = detect_isolation(executor)
        print(isolation.summary(), flush=True)  # run_autograder's stdout: the instructors' log
        if options.probe:
            return 0
        try:
            results = _grade(root, executor, isolation)
        except SandboxFailed as error:
            # No results.json: Gradescope shows the run as failed, for staff to run again, instead of a wrong score.
            print(
                f"the sandbox failed twice while grading ({error}); no score written: run the autograder again",
                flush=True,
            )
            return 1
    finally:
        executor.close()
    results.setdefault("execution_time", round(time.monotonic() - started, 3))
    results.setdefault("extra_data", {})["isolation"] = isolation.to_json()
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"score: {results['score']}", flush=True)
    return 0


def _grade(root: Path, executor: Executor, isolation: Isolation) -> dict[str, Any]:
    if isolation.as_root and not isolation.unprivileged_uid and not gradescope_settings()[2]:
        return failure_json(
            "The autograder could not start its sandbox here, so your file was not run. "
            "Your instructor has been told; this is not about your code."
        )
    if not isolation.as_root and not gradescope_settings()[2]:
        return failure_json(
            "The autograder must run as root (as Gradescope runs it) so that student code runs "
            f"under another uid; set {ALLOW_INSECURE_ENV}=1 to grade anyway."
        )
    try:
        graded_assignment_file = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))["file"]
        submission = find_submission(root / "submission", graded_assignment_file)
    except LookupError as error:
        return failure_json(str(error))
    except (OSError, ValueError, KeyError) as error:
        return failure_json(f"The autograder archive is incomplete ({error}); tell your instructor.")
    try:
        return grade_submission_file(root / "source", submission, executor)
    except AssignmentError as error:
        return failure_json(f"{error}; tell your instructor.")


if __name__ == "__main__":
    sys.exit(main())
