"""Loaded assignments are cached per folder: the newest version only, for a bounded number of folders."""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

from autograder.grading import assignment as assignment_module
from tests.grading.conftest import TOY


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name / "toy"  # the folder is named as its spec says
    shutil.copytree(TOY, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_an_unchanged_folder_is_loaded_once(tmp_path):
    folder = _copy(tmp_path, "toy")
    assert assignment_module.load_assignment(folder) is assignment_module.load_assignment(folder)


def test_an_edited_folder_replaces_its_old_version(tmp_path):
    folder = _copy(tmp_path, "toy")
    old = assignment_module.load_assignment(folder)
    old_version, old_ref = old.version, weakref.ref(old)
    (folder / "README.md").write_text("Edited by the instructor.\n")
    new = assignment_module.load_assignment(folder)
    assert new.version != old_version and assignment_module.load_assignment(folder) is new
    del old
    gc.collect()
    assert old_ref() is None, "the folder's previous version is still held"


def test_the_least_recently_used_folder_goes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(assignment_module, "LOADED_FOLDERS", 2)
    first, second, third = (_copy(tmp_path, name) for name in ("first", "second", "third"))
    first_ref = weakref.ref(assignment_module.load_assignment(first))
    kept = assignment_module.load_assignment(second)
    assert assignment_module.load_assignment(first) is first_ref()  # used again: now the newest
    assignment_module.load_assignment(third)  # evicts `second`, the least recently used
    assert assignment_module.load_assignment(first) is first_ref()
    assert assignment_module.load_assignment(second) is not kept
    gc.collect()
    assert len(assignment_module._loaded) == 2


@pytest.fixture(autouse=True)
def _restore_loaded_assignments():
    """These tests fill and evict the process's cache: put back what the other tests had loaded."""
    saved = assignment_module._loaded.copy()
    yield
    with assignment_module._loaded_lock:
        assignment_module._loaded.clear()
        assignment_module._loaded.update(saved)
