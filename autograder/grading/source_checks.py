"""Checks on the submitted file before any of it runs: size, encoding, emptiness, syntax, names."""

from __future__ import annotations

import ast
import difflib
import os
import stat
from collections.abc import Iterable
from pathlib import PurePath

from autograder.grading.syntax import parse_python


class SourceRejected(Exception):
    """The file cannot be graded at all; the message says why, for the student."""


def read_submission_file(path: os.PathLike[str] | str, max_bytes: int, follow_links: bool = True) -> bytes | None:
    """The bytes of a student's file, or None when it holds more than ``max_bytes``; never waits on it.

    Raises OSError for what is not a regular file: a FIFO would block the grader in ``open`` and a
    device (a link to /dev/zero) would be read until memory runs out. ``follow_links=False`` refuses
    a link at the last step (the Gradescope runner reads as root).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0))
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{os.path.basename(path)} is not a regular file")
        data = handle.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def decode_source(source: bytes, file: str, max_bytes: int) -> str:
    """Return the submission's text; raise SourceRejected if it is too big, not UTF-8, empty or not Python."""
    return read_source(source, file, max_bytes)[0]


def read_source(source: bytes, file: str, max_bytes: int) -> tuple[str, ast.Module]:
    """Return the submission's text and its syntax tree; raise SourceRejected like decode_source."""
    if len(source) > max_bytes:
        raise SourceRejected(f"{file} is {len(source):,} bytes; the limit is {max_bytes:,} bytes. "
                             "Remove large data or generated code from it.")
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = source[: error.start].count(b"\n") + 1
        raise SourceRejected(f"{file} is not UTF-8 text: byte 0x{source[error.start]:02x} on line {line} "
                             "cannot be decoded. Save the file as UTF-8.") from None
    if not text.strip():
        raise SourceRejected(f"{file} is empty: write your functions in it and submit again.")
    try:
        tree = parse_python(text, filename=file)
    except SyntaxError as error:
        where = f" on line {error.lineno}" if error.lineno else ""
        message = f"{file} has a syntax error{where}: {error.msg}"
        if error.text:
            pointer = " " * max((error.offset or 1) - 1, 0) + "^"
            message += f"\n    {error.text.rstrip()}\n    {pointer}"
        raise SourceRejected(message) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SourceRejected(f"{file} cannot be parsed as Python: {type(error).__name__}: {error}") from None
    return text, tree


def missing_function_message(name: str, defined: Iterable[str]) -> str:
    """Say that ``name`` is missing and which defined names look like it."""
    by_lower = {candidate.lower(): candidate for candidate in defined}
    close = [by_lower[match] for match in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
    message = f"your file does not define {name}"
    if close:
        message += f" (did you mean {' or '.join(close)}? rename it to {name})"
    return message


def missing_functions_message(names: list[str], defined: Iterable[str], total: int) -> str:
    """Say, in one note, which of the ``total`` graded functions are missing and what looks like them."""
    defined = list(defined)
    by_lower = {candidate.lower(): candidate for candidate in defined}
    listed = []
    for name in names:
        close = [by_lower[match] for match in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
        listed.append(f"{name} (did you mean {' or '.join(close)}?)" if close else name)
    return (f"your file does not define {len(names)} of the {total} graded functions: {', '.join(listed)}. "
            "Use the exact names of the assignment's README; the other functions are graded as usual.")



def wrong_file_hint(filename: str, assignment_name: str, assignment_file: str) -> str | None:
    """For a file that defines none of the graded functions: say so if its name is not the assignment's.

    ``grade backprop losses.py`` is a student handing in the wrong file far more often than one
    whose every function is misnamed. Copies such as ``backprop (1).py`` keep the assignment's name.
    """
    given = PurePath(filename.replace("\\", "/")).name
    if not given or given.lower().startswith(PurePath(assignment_file).stem.lower()):
        return None
    return (f"{given} defines none of {assignment_name}'s functions: is it the right file? "
            f"{assignment_name} grades {assignment_file}.")
