"""Files that cannot be graded get a clear message and 0, never a grader traceback."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("source, message", [
    (b"", "toy.py is empty"),
    (b"   \n\n", "toy.py is empty"),
    (b"def scale(x, factor):\n    return x *\n", "syntax error on line 2"),
    (b"x = 1\n\xff\xfe = 2\n", "not UTF-8 text: byte 0xff on line 2"),
    (b"x = 1\0\n", "cannot"),
])
def test_unreadable_files(toy, grade, source, message):
    report = grade(toy, source)
    assert report.score == 0 and len(report.tests) == 9
    assert message in report.messages[0]
    assert all(message in test.output for test in report.tests)


def test_oversize_file(toy, grade):
    report = grade(toy, b"#" * 200_001)
    assert report.score == 0 and "limit is 200,000 bytes" in report.messages[0]


def test_import_error_names_the_line(toy, grade):
    report = grade(toy, "import numpy as np\n\nraise RuntimeError('at import')\n")
    assert report.score == 0
    assert "RuntimeError: at import" in report.messages[0] and 'line 3' in report.messages[0]


def test_importing_an_unavailable_library_says_what_is_available(toy, grade):
    report = grade(toy, "from scipy.special import logsumexp\n" + toy.reference_source + "\nSMOOTH = logsumexp\n")
    assert report.score == 0
    assert "No module named 'scipy'" in report.messages[0] and "NumPy and the Python standard library" in report.messages[0]


def test_misnamed_functions_get_suggestions(toy, grade):
    source = toy.reference_source.replace("def square_loss_grad(", "def squareloss_grad(").replace(
        "def apply_twice(", "def Apply_Twice(")
    report = grade(toy, source)
    text = "\n".join(report.messages)
    assert "does not define 2 of the 6 graded functions" in text
    assert "square_loss_grad (did you mean squareloss_grad?)" in text
    assert "apply_twice (did you mean Apply_Twice?)" in text
    failed = {test.function: test.output for test in report.tests if test.status == "failed"}
    assert "does not define square_loss_grad (did you mean squareloss_grad?" in failed["square_loss_grad"]
    assert report.score == report.max_score - 3  # square_loss_grad (2) and apply_twice (1)


@pytest.mark.parametrize("filename, hinted", [
    ("losses.py", True),  # another assignment's file
    ("C:\\Users\\ada\\hw2.py", True),
    ("toy.py", False),
    ("Toy (1).py", False),  # a downloaded copy keeps the assignment's name
])
def test_a_file_defining_none_of_the_functions_under_another_name_is_asked_about(toy, grade, filename, hinted):
    report = grade(toy, "def mse(y_pred, y_true):\n    return 0.0\n", filename=filename)
    asked = [message for message in report.messages if "is it the right file?" in message]
    assert bool(asked) == hinted, report.messages
    if hinted:
        assert asked[0] == report.messages[0] and f"{toy.name} grades {toy.file}" in asked[0]
        assert filename.replace("\\", "/").rsplit("/", 1)[-1] in asked[0]


def test_a_file_defining_some_functions_is_not_asked_about(toy, grade):
    report = grade(toy, toy.reference_source.replace("def apply_twice(", "def twice("), filename="losses.py")
    assert not any("is it the right file?" in message for message in report.messages)


def test_a_library_only_the_files_own_tests_import_is_skipped_with_a_note(toy, grade):
    source = ("import numpy as np\nimport matplotlib.pyplot as plt\nfrom torch import (\n    tensor,\n)\n"
              + toy.reference_source
              + '\n\nif __name__ == "__main__":\n    plt.plot(tensor([1.0]))\n')
    report = grade(toy, source)
    assert report.score == report.max_score
    note = next(message for message in report.messages if "does not have" in message)
    assert "line 2: matplotlib.pyplot; line 3: torch" in note and "__main__" in note


@pytest.mark.parametrize("imports", [
    "import matplotlib.pyplot as plt\nPLOT = plt\n",  # read outside the __main__ block
    "import numpy, matplotlib\n",  # one statement with an available module: kept whole
    "import matplotlib; import json\n",  # shares its line with another statement
])
def test_a_library_anything_else_reads_or_shares_a_line_stays_and_fails_as_before(toy, grade, imports):
    report = grade(toy, imports + toy.reference_source + '\nif __name__ == "__main__":\n    matplotlib = 1\n')
    assert report.score == 0 and "No module named 'matplotlib'" in report.messages[0]
