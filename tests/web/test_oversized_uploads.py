"""A file over the assignment's size limit is refused before any of its code is parsed.

Uploads may be 41 MiB (notebooks with images), the code only max_file_bytes (200 kB for losses):
parsing a few MiB of Python with ast takes gigabytes and seconds under the process-wide parse
lock that grading threads share, so the limit must come first, on the form and through the API.
"""

import ast
import io

import nbformat
import pytest

from autograder.grading import syntax
from autograder.models import Submission
from autograder.services import accounts

OVER_LIMIT_CODE = "x=1\n" * 60_000  # 240,000 bytes of valid Python; the limit of losses is 200,000
MESSAGES = {"losses.py": "The file has 240,000 bytes; the limit is 200,000 bytes.",
            "losses.ipynb": "The code cells of losses.ipynb have 240,000 bytes; the limit is 200,000 bytes."}


def _upload(filename: str) -> bytes:
    if filename.endswith(".ipynb"):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(OVER_LIMIT_CODE)])
        return nbformat.writes(notebook).encode()
    return OVER_LIMIT_CODE.encode()


@pytest.fixture
def parser_forbidden(monkeypatch):
    """Fail the test if the over-limit code is parsed (every parse of the service goes through syntax.parse_python).

    Other parses go on: loading an assignment parses its own reference and starter files.
    """

    class ParsingWithinTheLimit:
        @staticmethod
        def parse(source, *args, **kwargs):
            if len(source) > 200_000:
                pytest.fail(f"an over-limit upload reached the Python parser ({len(source):,} characters)")
            return ast.parse(source, *args, **kwargs)

    monkeypatch.setattr(syntax, "ast", ParsingWithinTheLimit)


@pytest.mark.parametrize("filename", sorted(MESSAGES))
def test_the_form_refuses_an_over_limit_file_before_parsing_it(client, factory, login, csrf_token,
                                                               parser_forbidden, filename):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    response = client.post(url, data={"csrf_token": csrf_token(url), "file": (io.BytesIO(_upload(filename)), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and MESSAGES[filename] in response.get_data(as_text=True)
    assert Submission.query.count() == 0


@pytest.mark.parametrize("filename", sorted(MESSAGES))
def test_the_api_refuses_an_over_limit_file_before_parsing_it(client, factory, parser_forbidden, filename):
    student = factory.user()
    factory.course(students=(student,))
    response = client.post("/api/v1/assignments/losses/submissions",
                           data={"file": (io.BytesIO(_upload(filename)), filename)},
                           headers={"Authorization": f"Bearer {accounts.issue_api_token(student)}"},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"] == MESSAGES[filename]
    assert Submission.query.count() == 0
