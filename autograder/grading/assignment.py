"""Find and load assignment folders (repository layout or a student's starter kit)."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import sys
import threading
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any

from autograder.grading.mistakes import Mistake
from autograder.grading.spec import AssignmentSpec, SpecError, load_spec
from autograder.grading.suite import KIT_FIXTURES, Assignment, AssignmentError, AssignmentNotFound
from autograder.grading.syntax import parse_python

__all__ = ["KIT_FIXTURES", "Assignment", "AssignmentError", "AssignmentNotFound", "assignment_names",
           "assignments_root", "find_assignment", "folder_version", "list_assignments", "load_assignment"]

def assignments_root() -> Path:
    """Return the folder holding the assignments (see autograder.config.assignments_dir)."""
    from autograder.config import assignments_dir

    return assignments_dir()


def folder_version(path: Path) -> str:
    """Return the sha256 over the folder's file names and contents (caches and dotfiles excluded)."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if not file.is_file() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


# One Assignment per folder, of its newest version, for at most LOADED_FOLDERS folders (least
# recently used out first): a long-running service whose instructors edit their assignments, or a
# test run loading hundreds of folders, does not keep every version it ever loaded (~0.5 MB each).
LOADED_FOLDERS = 64
_loaded: OrderedDict[str, tuple[str, Assignment]] = OrderedDict()
_loaded_lock = threading.Lock()


def load_assignment(path: str | os.PathLike[str], suite_cache: Path | None = None) -> Assignment:
    """Load the assignment folder at ``path`` (repository layout or starter kit).

    ``suite_cache``: a folder where a starter kit's decoded public suite may be cached between runs.
    Returns the Assignment (cached: the folder's newest version, see LOADED_FOLDERS); raises
    AssignmentError or SpecError.
    """
    folder = Path(path).resolve()
    if not (folder / "spec.toml").is_file():
        raise AssignmentNotFound(f"{folder} is not an assignment folder (no spec.toml)")
    version = folder_version(folder)
    key = str(folder)
    with _loaded_lock:
        cached = _loaded.get(key)
        if cached is not None and cached[0] == version:
            _loaded.move_to_end(key)
            return cached[1]
        if (folder / "reference.py").exists() or not (folder / KIT_FIXTURES).exists():
            assignment = _load_repository_assignment(folder, version)
        else:
            from autograder.grading.kit import load_kit

            assignment = load_kit(folder, suite_cache=suite_cache)
        _loaded[key] = (version, assignment)  # an older version of the folder goes
        _loaded.move_to_end(key)
        while len(_loaded) > LOADED_FOLDERS:
            _loaded.popitem(last=False)
        return assignment


def find_assignment(name: str) -> Assignment:
    """Return the assignment called ``name`` from the assignments folder; raise AssignmentNotFound."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise AssignmentNotFound(f"no assignment called {name!r}")
    folder = assignments_root() / name
    if not (folder / "spec.toml").is_file():
        known = ", ".join(assignment_names()) or "none"
        raise AssignmentNotFound(f"no assignment called {name!r} (available: {known})")
    return load_assignment(folder)


def assignment_names() -> list[str]:
    """Return the names of the folders under the assignments root that have a spec.toml."""
    root = assignments_root()
    if not root.is_dir():
        return []
    return sorted(child.name for child in root.iterdir() if (child / "spec.toml").is_file())


def list_assignments() -> list[Assignment]:
    """Return every assignment of the assignments folder, sorted by name (raises like load_assignment)."""
    return [find_assignment(name) for name in assignment_names()]


def _read_optional(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _module_name(folder: Path, version: str, stem: str) -> str:
    return f"_autograder_assignment_{folder.name}_{version[:16]}_{stem}"


def load_module_from_path(path: Path, module_name: str) -> types.ModuleType:
    """Execute the Python file at ``path`` as a new module ``module_name`` (never via sys.path)."""
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise AssignmentError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    # dataclasses and pickle-free introspection look the module up by name while it executes.
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise AssignmentError(f"{path} failed to load: {type(error).__name__}: {error}") from error
    return module


def top_level_functions(source: str) -> set[str]:
    """Names of the functions a source text defines at module level (without running it)."""
    tree = parse_python(source)
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _load_repository_assignment(folder: Path, version: str) -> Assignment:
    spec = load_spec(folder / "spec.toml")
    if spec.name != folder.name:
        raise SpecError(f"{folder / 'spec.toml'}: name {spec.name!r} differs from the folder name {folder.name!r}")
    for required in ("reference.py", "cases.py", "starter.py"):
        if not (folder / required).is_file():
            raise AssignmentError(f"{folder}: missing {required}")
    reference = load_module_from_path(folder / "reference.py", _module_name(folder, version, "reference"))
    cases = load_module_from_path(folder / "cases.py", _module_name(folder, version, "cases"))
    starter = (folder / "starter.py").read_text(encoding="utf-8")
    probes_source = _read_optional(folder / "probes.py")
    probes: dict[str, Any] = {}
    if probes_source:
        probes_module = load_module_from_path(folder / "probes.py", _module_name(folder, version, "probes"))
        probes = {name: value for name, value in vars(probes_module).items()
                  if not name.startswith("_") and callable(value) and not isinstance(value, types.ModuleType)}

    starter_functions = top_level_functions(starter)
    for function in spec.functions:
        if not callable(getattr(reference, function.name, None)):
            raise SpecError(f"{folder / 'reference.py'}: function {function.name!r} of spec.toml is not defined")
        if function.name not in starter_functions:
            raise SpecError(f"{folder / 'starter.py'}: function {function.name!r} of spec.toml is not defined")
        for check in function.checks:
            if check.cases and not callable(getattr(cases, check.cases, None)):
                raise SpecError(f"{folder / 'cases.py'}: generator {check.cases!r} "
                                f"(function {function.name!r}, check {check.name!r}) is not defined")

    mistakes, namespace = _load_mistakes(folder, version, reference, spec)
    return Assignment(path=folder, spec=spec, version=version, readme=_read_optional(folder / "README.md"),
                      starter=starter, probes_source=probes_source, reference=reference, cases=cases,
                      probes=probes, mistakes=mistakes, mistake_namespace=namespace)


def _load_mistakes(folder: Path, version: str, reference: types.ModuleType,
                   spec: AssignmentSpec) -> tuple[tuple[Mistake, ...], dict[str, Any]]:
    path = folder / "mistakes.py"
    if not path.is_file():
        return (), {}
    # Variants may call the reference's private helpers, so they run among its globals.
    namespace = dict(vars(reference))
    namespace["__name__"] = _module_name(folder, version, "mistakes")
    namespace["__file__"] = str(path)
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    except Exception as error:
        raise AssignmentError(f"{path} failed to load: {type(error).__name__}: {error}") from error
    mistakes = namespace.get("MISTAKES")
    if not isinstance(mistakes, list) or not all(isinstance(item, Mistake) for item in mistakes):
        raise AssignmentError(f"{path}: MISTAKES must be a list of Mistake records")
    names = {function.name for function in spec.functions}
    for mistake in mistakes:
        if mistake.function not in names:
            raise AssignmentError(f"{path}: mistake {mistake.name!r} targets {mistake.function!r}, not a graded function")
        if not callable(namespace.get(mistake.implementation)):
            raise AssignmentError(f"{path}: mistake {mistake.name!r} names {mistake.implementation!r}, which is not defined")
    return tuple(mistakes), namespace
