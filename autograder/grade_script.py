"""The `grade` console script: start the sandbox's zygote first of all, then run the command.

Kept outside :mod:`autograder.cli` (whose package imports click): the zygote's interpreter is
started before this process imports anything else, so that its start (about as long as
importing NumPy) overlaps with all of this process's own imports. Only when the command line
asks to grade (two arguments, no --submit, no --help); a zygote the command does not adopt
(e.g. a usage error) is killed.
"""

from __future__ import annotations

import os
import sys

NOT_GRADING_LOCALLY = frozenset({"--submit", "-h", "--help"})


def run() -> None:
    """Run `grade`, then exit without the interpreter's teardown.

    Unloading NumPy, rich and the engine costs tens of milliseconds the student waits for, and
    there is nothing left to do: the report is printed and the sandbox closed. An exception
    other than SystemExit leaves the ordinary way, with its traceback.
    """
    arguments = sys.argv[1:]
    launched = None
    if len(arguments) >= 2 and not NOT_GRADING_LOCALLY.intersection(arguments):
        from autograder.config import sandbox_options
        from autograder.sandbox import launch_executor

        launched = launch_executor(options=sandbox_options())
    from autograder.cli.grade import main

    try:
        main(obj=launched)  # standalone mode: it ends with SystemExit
    except SystemExit as leaving:
        code = leaving.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        if launched is not None:
            launched.discard()  # nothing if the command's executor adopted it
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = code or 1  # e.g. `grade ... | head`: the reader left before the end
        os._exit(code or 0)
    finally:
        if launched is not None:
            launched.discard()
