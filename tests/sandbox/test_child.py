"""The child's module loading: a student's file behaves as it would under `import`."""

from __future__ import annotations

import json
import sys

from autograder.sandbox.child import load_module

DATACLASS_WITH_FUTURE_ANNOTATIONS = """\
from __future__ import annotations
from dataclasses import dataclass


@dataclass
class Settings:
    axis: int = 1


VALUE = Settings().axis
"""


def test_a_dataclass_under_future_annotations_loads(monkeypatch):
    monkeypatch.delitem(sys.modules, "student_settings", raising=False)
    module = load_module("student_settings", DATACLASS_WITH_FUTURE_ANNOTATIONS, "student_settings.py")
    assert module.VALUE == 1
    assert sys.modules["student_settings"] is module
    del sys.modules["student_settings"]


def test_a_file_named_like_a_loaded_module_does_not_replace_it():
    module = load_module("json", "VALUE = 2\n", "json.py")
    assert module.VALUE == 2
    assert sys.modules["json"] is json
