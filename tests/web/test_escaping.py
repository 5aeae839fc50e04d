"""Student code and everything it prints are text, never markup, on every page that shows them."""

from autograder.extensions import db
from autograder.models import Role, Submission

SCRIPT = "<script>alert(1)</script>"
HOSTILE_SOURCE = f'''"""{SCRIPT}"""
import numpy as np

print("{SCRIPT}")


def mse(y_pred, y_true):
    raise ValueError("{SCRIPT}")
'''


def test_code_and_output_are_escaped_everywhere(app, client, factory, login, csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    student = factory.user(name=SCRIPT)
    course = factory.course(teacher, (student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    response = client.post(url, data={"csrf_token": csrf_token(url), "code": HOSTILE_SOURCE},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    app.extensions["autograder.grading_queue"].join()
    submission = db.session.query(Submission).one()
    outputs = " ".join(r.output for r in submission.results)
    assert SCRIPT in outputs  # the grader reports the exception message verbatim ...
    pages = [f"/submissions/{submission.id}", f"/courses/{course.code}/losses"]
    for page in pages:
        body = client.get(page).get_data(as_text=True)
        assert SCRIPT not in body, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&lt;" in body
    login(teacher)
    for page in [f"/instructor/submissions/{submission.id}", f"/instructor/courses/{course.code}/losses",
                 f"/instructor/courses/{course.code}", f"/instructor/courses/{course.code}/students/{student.id}"]:
        body = client.get(page).get_data(as_text=True)
        assert SCRIPT not in body, page
    # ... and JSON keeps it as data (served as application/json, never as HTML).
    status = client.get(f"/submissions/{submission.id}/status.json")
    assert status.mimetype == "application/json" and SCRIPT in str(status.get_json())
    source = client.get(f"/submissions/{submission.id}/source")
    assert source.mimetype == "text/plain" and "attachment" in source.headers["Content-Disposition"]
