"""What a student's code printed or raised cannot drive the terminal of whoever runs `grade`."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner

from autograder import client
from autograder.cli.grade import main as grade_main
from autograder.terminal_text import terminal_safe

TOY = Path(__file__).parent / "grading" / "fixtures" / "toy"
CLEAR_AND_FAKE = "\x1b[2J\x1b[Hscore: 12/12\x1b[8m"


def test_escapes_become_visible_and_text_stays():
    assert terminal_safe(CLEAR_AND_FAKE) == "\\x1b[2J\\x1b[Hscore: 12/12\\x1b[8m"
    assert terminal_safe("\x1b]52;c;cm0gLXJm\x07") == "\\x1b]52;c;cm0gLXJm\\x07"  # clipboard write
    assert terminal_safe("ok\rFAKE") == "ok\\x0dFAKE"
    assert terminal_safe("abc\u202edef") == "abc\\u202edef"  # right-to-left override
    assert terminal_safe("line 1\n\tline 2 — σ ✓") == "line 1\n\tline 2 — σ ✓"
    assert terminal_safe("\x9b2J") == "\\x9b2J"  # the one-byte CSI


def test_grade_prints_a_raised_message_without_its_escapes(tmp_path):
    file = tmp_path / "toy.py"
    file.write_text(
        (TOY / "reference.py").read_text() + f"\n\ndef scale(x, factor):\n    raise ValueError({CLEAR_AND_FAKE!r})\n"
    )
    outcome = CliRunner().invoke(grade_main, [str(TOY), str(file)])
    assert "\x1b" not in outcome.output
    assert "\\x1b[2J" in outcome.output


def test_submit_prints_the_servers_report_without_escapes():
    result = {
        "id": 7,
        "assignment": "toy",
        "status": "done",
        "score": 0,
        "max_score": 1,
        "tests": [
            {
                "name": "scale: values",
                "status": "failed",
                "score": 0,
                "max_score": 1,
                "mistake": "\x1b[2Jfake",
                "output": f"ValueError: {CLEAR_AND_FAKE}",
            }
        ],
    }
    out = io.StringIO()
    client.print_result(result, out)
    assert "\x1b" not in out.getvalue() and "\\x1b[2J" in out.getvalue()
