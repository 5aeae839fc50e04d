#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image.
# It installs the grader from the wheel in this archive into its own virtual environment and
# makes the expected values and the hidden seed readable by root only.
#
# Environment (for testing outside Gradescope; Gradescope sets none of them):
#   AUTOGRADER_GRADESCOPE_ROOT  the autograder directory (default /autograder)
#   AUTOGRADER_PIP_OPTIONS      extra pip options, e.g. "--no-index --find-links /wheels"
#   AUTOGRADER_PYTHON           the Python (>= 3.11) to build the environment with
set -euo pipefail

ROOT="${AUTOGRADER_GRADESCOPE_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

PYTHON="${AUTOGRADER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then PYTHON="$candidate"; break; fi
    done
fi
if [ -z "$PYTHON" ] && command -v apt-get >/dev/null; then
    # Older Gradescope base images (Ubuntu 22.04) ship Python 3.10; 3.11 is in Ubuntu's archive.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3.11 python3.11-venv
    PYTHON=python3.11
fi
if [ -z "$PYTHON" ] || ! python_ok "$PYTHON"; then
    echo "setup.sh: the grader needs Python 3.11 or newer; choose a newer Gradescope base image" >&2
    exit 1
fi

if ! "$PYTHON" -m venv "$VENV"; then
    # Debian and Ubuntu ship venv's pip bootstrap separately.
    version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "python$version-venv"
    "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC2086  # the options are words on purpose
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ${AUTOGRADER_PIP_OPTIONS:-} "$SOURCE"/wheels/*.whl

# The sandbox runs student code under an unprivileged uid: it must read the interpreter, never the
# expected values or the seed.
chmod -R a+rX "$VENV"
chown -R 0:0 "$SOURCE/private"
chmod 700 "$SOURCE/private"
chmod 600 "$SOURCE/private"/*
chmod +x "$SOURCE/run_autograder"

# Say, in the build log, what isolation this container allows student code.
"$VENV/bin/python" -I -m autograder.gradescope.run --root "$ROOT" --probe
