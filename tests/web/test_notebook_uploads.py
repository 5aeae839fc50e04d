"""Jupyter notebooks through the API and the upload form: stored without outputs, graded by their cells."""

import base64
import io
import os
from pathlib import Path

import nbformat

from autograder.extensions import db
from autograder.grading.assignment import find_assignment
from autograder.grading.mistakes import variant_source
from autograder.grading.notebook import notebook_from_source
from autograder.models import Submission
from autograder.services import accounts

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_text()


def notebook_bytes(source: str, image_bytes: int = 0) -> bytes:
    """A student's notebook: the source over cells, markdown, a magic, a shell escape, a self-test cell."""
    notebook = notebook_from_source(source, "Losses", "My work.")
    notebook.cells.insert(1, nbformat.v4.new_code_cell("%load_ext autoreload\n!pip list\nimport numpy as np"))
    test_cell = nbformat.v4.new_code_cell("y = np.ones(3)\nprint('mine:', mse(y, 2 * y))")
    if image_bytes:
        test_cell.outputs = [nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(os.urandom(image_bytes)).decode()})]
    notebook.cells.append(test_cell)
    return nbformat.writes(notebook).encode()


def _post(client, token, data: bytes, filename: str = "losses.ipynb"):
    return client.post("/api/v1/assignments/losses/submissions",
                       data={"file": (io.BytesIO(data), filename)},
                       headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")


def _result(app, client, token, response):
    assert response.status_code == 202, response.get_json()
    app.extensions["autograder.grading_queue"].join()
    return client.get(f"/api/v1/submissions/{response.get_json()['id']}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()


def test_api_grades_a_notebook_in_full_even_with_a_20_mb_image(app, client, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    data = notebook_bytes(REFERENCE, image_bytes=20 << 20)
    assert len(data) > 20 << 20
    result = _result(app, client, token, _post(client, token, data))
    assert (result["status"], result["score"], result["max_score"]) == ("done", 35, 35)
    stored = db.session.query(Submission).one()
    assert stored.filename == "losses.ipynb" and len(stored.source) < 50_000  # outputs are not kept


def test_api_notebook_with_one_mistake_loses_points_in_that_function_only(app, client, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    losses = find_assignment("losses")
    mistake = next(item for item in losses.mistakes if item.function == "softmax")
    result = _result(app, client, token, _post(client, token, notebook_bytes(variant_source(losses, mistake))))
    lost = {test["function"] for test in result["tests"] if test["score"] < test["max_score"]}
    assert lost == {"softmax"} and result["score"] < 35


def test_api_refuses_json_that_is_not_a_notebook(client, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    response = _post(client, token, b'{"weights": [1, 2, 3]}')
    assert response.status_code == 400
    assert "is JSON but not a Jupyter notebook" in response.get_json()["error"]


def test_api_holds_the_code_not_the_file_to_the_size_limit(client, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    response = _post(client, token, notebook_bytes(REFERENCE + "\nPAD = '" + "x" * 300_000 + "'\n"))
    assert response.status_code == 400 and "The code cells of losses.ipynb have" in response.get_json()["error"]


def test_form_upload_of_a_notebook_and_the_starter_notebook(app, client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    page = client.get(url).get_data(as_text=True)
    assert ".ipynb" in page and 'id="starter-notebook"' in page
    starter = client.get(f"{url}/starter.ipynb")
    assert starter.status_code == 200 and starter.mimetype == "application/x-ipynb+json"
    assert "def softmax" in starter.get_data(as_text=True) and "reference" not in starter.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(url),
                                      "file": (io.BytesIO(notebook_bytes(REFERENCE)), "my work.ipynb")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    app.extensions["autograder.grading_queue"].join()
    status = client.get(response.headers["Location"] + "/status.json").get_json()
    assert status["score"] == status["max_score"] == 35
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "# %% [cell 2]" in page  # the stored notebook is shown as Python, cell by cell
    download = client.get(response.headers["Location"] + "/source")
    assert "submission-" in download.headers["Content-Disposition"] and ".ipynb" in download.headers["Content-Disposition"]
