"""Parsing submissions from several threads at once (grading threads, web requests, the indexer)."""

from __future__ import annotations

import gc
import threading
import time

from autograder.grading.syntax import parse_python

# Deep enough that building its AST allocates a lot: collections, and thread switches, happen mid-way.
SOURCE = "\n".join(
    f"def f{i}(x):\n    return [(a, b) for a in range(x) for b in (x, {{'k': [x, (x,)]}})]" for i in range(100)
)


def test_threads_parsing_at_once_never_fail():
    """On CPython 3.11 plain ast.parse fails here now and then with "AST constructor recursion depth mismatch"."""
    errors: list[BaseException] = []

    def switch_threads(phase: str, info: dict) -> None:
        time.sleep(0)  # hand the GIL to another parsing thread in the middle of building an AST

    def parse_repeatedly() -> None:
        try:
            for _ in range(15):
                assert len(parse_python(SOURCE).body) == 100
        except BaseException as error:  # noqa: BLE001 - reported below, whatever it is
            errors.append(error)

    threshold = gc.get_threshold()
    gc.callbacks.append(switch_threads)
    gc.set_threshold(50)
    try:
        threads = [threading.Thread(target=parse_repeatedly) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.callbacks.remove(switch_threads)
        gc.set_threshold(*threshold)
    assert errors == []
