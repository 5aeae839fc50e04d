"""Parse Python source into an AST safely from several threads at once."""

from __future__ import annotations

import ast
import threading

# CPython 3.11 keeps the AST constructor's recursion depth per interpreter, not per thread: two
# threads in ast.parse at once (a grading thread, a web request, the similarity indexer) can fail
# one of them with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905),
# which once put an honest submission in "the grader failed" until the sweeper retried it.
# Parsing takes milliseconds.
_parse_lock = threading.Lock()


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """Return ``ast.parse(source, filename)``, one thread at a time; raises what ast.parse raises.

    A text that starts with a byte-order mark (Notepad's UTF-8) parses as Python runs such a file.
    """
    if isinstance(source, str):
        source = source.removeprefix("\ufeff")
    with _parse_lock:
        return ast.parse(source, filename=filename)
