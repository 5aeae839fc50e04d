"""The child's module loading: a student's file behaves as it would under `import`."""

from __future__ import annotations

import json
import sys

from autograder.sandbox.child import load_module, sealed_functions

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


PROBES = """\
import numpy as np

SCALE = 2.0


def twice(x, *, by=SCALE):
    return by * helper(x)


def helper(x):
    return np.asarray(x)


def twice_gradient(x):
    return np.full_like(x, SCALE)
"""


def test_grader_functions_reach_only_the_names_they_use(monkeypatch):
    monkeypatch.delitem(sys.modules, "student_probes", raising=False)
    functions = sealed_functions(load_module("student_probes", PROBES, "probes.py"))
    twice = functions["twice"]
    assert set(twice.__globals__) == {"helper", "__builtins__"}  # SCALE went into the default
    assert twice.__globals__["helper"] is functions["helper"]  # sealed too
    assert set(functions["helper"].__globals__) == {"np", "__builtins__"}
    assert twice(3.0) == 6.0 and twice(3.0, by=1.0) == 3.0
    del sys.modules["student_probes"]
