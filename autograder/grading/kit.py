"""The student's starter kit: README, starter file, probes, spec and public cases (no reference)."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.grading.fixtures import FixtureError, read_suite, write_suite
from autograder.grading.prepare import prepare_suite
from autograder.grading.spec import SpecError, load_spec
from autograder.grading.suite import KIT_FIXTURES, Assignment, AssignmentError


def write_kit(assignment: Assignment, directory: str | os.PathLike[str]) -> list[Path]:
    """Write the student's copy of ``assignment`` into ``directory``.

    Returns the paths written. Raises FileExistsError rather than overwrite a student's file.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    student_file = target / assignment.file
    if student_file.exists() and student_file.read_text(encoding="utf-8", errors="replace") != assignment.starter:
        raise FileExistsError(f"{student_file} exists and differs from the starter: not overwriting your work")
    written = []

    def put(name: str, text: str) -> None:
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    from autograder.grading.notebook import starter_notebook  # nbformat: only when writing a kit

    notebook_name = starter_notebook_name(assignment)
    notebook_file = target / notebook_name
    notebook_text = starter_notebook(assignment.starter, assignment.title, notebook_name, assignment.name)
    if notebook_file.exists() and notebook_file.read_text(encoding="utf-8", errors="replace") != notebook_text:
        raise FileExistsError(f"{notebook_file} exists and differs from the starter: not overwriting your work")
    put("README.md", kit_readme(assignment))
    put(assignment.file, assignment.starter)
    put(notebook_name, notebook_text)  # the same starter as a Jupyter notebook
    if assignment.probes_source:
        put("probes.py", assignment.probes_source)
    put("spec.toml", (assignment.path / "spec.toml").read_text(encoding="utf-8"))
    fixtures = target / KIT_FIXTURES
    write_suite(prepare_suite(assignment, "public"), fixtures, assignment=assignment.name,
                version=assignment.version)
    written.append(fixtures)
    return written


def starter_notebook_name(assignment: Assignment) -> str:
    """The starter notebook's file name, e.g. ``losses.ipynb`` for ``losses.py``."""
    return f"{Path(assignment.file).stem}.ipynb"


def kit_readme(assignment: Assignment) -> str:
    """Return the README as it reads inside the kit: its own file names and commands that work there.

    The repository's README says "start from starter.py" and ``grade NAME FILE``, which only
    work in the repository; the kit holds FILE itself and is graded with ``grade . FILE``.
    """
    name, file = assignment.name, assignment.file
    lines = []
    for line in assignment.readme.replace("`starter.py`", f"`{file}` (in this folder)").splitlines():
        stripped = line.strip()
        if stripped.startswith(f"grade ./{name}-kit "):
            continue  # the kit is this folder
        if stripped.startswith(f"grade {name} "):
            line = line.replace(f"grade {name} ", "grade . ", 1)
        lines.append(line)
    note = (f"> **Starter kit of `{name}`.** Write your solution in `{file}` in this folder, then run "
            f"`grade . {file}` here to check it offline (the `grade` command comes with the autograder "
            f"package your instructor gives you: `pip install` it first). `grade . {file} --submit` "
            "sends it to the course server.")
    title_end = 1 if lines and lines[0].startswith("# ") else 0
    return "\n".join([*lines[:title_end], "", note, *lines[title_end:]]) + "\n"


def load_kit(folder: Path, suite_cache: Path | None = None) -> Assignment:
    """Load a starter kit written by write_kit. Returns its Assignment; raises AssignmentError.

    ``suite_cache``: a folder where the decoded public suite may be cached (see read_suite).
    """
    spec = load_spec(folder / "spec.toml")
    try:
        suite, metadata = read_suite(folder / KIT_FIXTURES, cache=suite_cache)
    except FixtureError as error:
        raise AssignmentError(str(error)) from None
    if suite.assignment != spec.name or metadata.get("assignment") != spec.name:
        raise AssignmentError(f"{folder}: the public cases belong to {suite.assignment!r}, not {spec.name!r}")
    if [function.name for function in suite.functions] != [function.name for function in spec.functions]:
        raise SpecError(f"{folder}: spec.toml and {KIT_FIXTURES} list different functions")
    version = str(metadata.get("version", ""))
    probes_path = folder / "probes.py"
    readme_path = folder / "README.md"
    return Assignment(
        path=folder,
        spec=spec,
        version=version,
        readme=readme_path.read_text(encoding="utf-8") if readme_path.is_file() else "",
        starter="",
        probes_source=probes_path.read_text(encoding="utf-8") if probes_path.is_file() else "",
        kit_suite=suite,
    )
