"""No submission may read, disturb or out-score another: hostile students through the service's API.

One embedded grading worker (one sandbox slot), so consecutive submissions of different
students run in the same zygote, one after another, as on a real worker. Hidden cases on.
"""

from __future__ import annotations

import io
import re
import secrets

import pytest

from autograder.services import accounts
from tests.security import hostile
from tests.security.conftest import HIDDEN_SEED


@pytest.fixture
def service(app):
    """The test app (one embedded grading worker, so one sandbox slot) grading hidden cases too."""
    assert app.config["EMBEDDED_WORKERS"] == 1
    app.config["HIDDEN_SEED"] = HIDDEN_SEED
    return app


@pytest.fixture
def students(service, factory):
    people = [factory.user() for _ in range(4)]
    factory.course(students=tuple(people))
    return [accounts.issue_api_token(person) for person in people]


def submit(client, token: str, source: str) -> int:
    response = client.post(
        "/api/v1/assignments/losses/submissions",
        data={"file": (io.BytesIO(source.encode()), "losses.py")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def result(service, client, token: str, submission: int) -> dict:
    service.extensions["autograder.grading_queue"].join()
    body = client.get(f"/api/v1/submissions/{submission}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["status"] == "done", body
    return body


def shown(body: dict) -> str:
    return "\n".join(str(test.get("output", "")) for test in body["tests"]) + str(body.get("messages", ""))


def test_students_in_sequence_on_one_worker(service, client, students, losses_reference):
    first, second, third, fourth = students
    marker = "LEAK-" + secrets.token_hex(12)

    honest_with_marker = submit(client, first, losses_reference + f"\n# {marker}\nNOTES = {marker!r}\n")
    assert result(service, client, first, honest_with_marker)["score"] == 35

    # The next student searches frames, objects and heap for the first one's file: nothing.
    searching = submit(client, second, hostile.searcher_file(losses_reference, marker))
    found = re.search(
        r"FOUND frames=(\d+) objects=(\d+) heap=(\d+) selfcheck_objects=(\d+)",
        shown(result(service, client, second, searching)),
    )
    if found:  # the search may run out of its 1 s limit here; when it finished, it found nothing
        assert found.groups()[:3] == ("0", "0", "0") and int(found.group(4)) >= 1
    assert marker not in shown(result(service, client, second, searching))

    # A forged frame costs its author one function, and the next student nothing.
    forged = submit(
        client,
        third,
        hostile.forged_stream_file(losses_reference, hostile.FORGED_STREAMS["zero-size items, enormous shape"]),
    )
    body = result(service, client, third, forged)
    assert body["score"] == 35 - 4  # mse's 4 points only
    assert "sandbox failed" not in shown(body)
    honest = submit(client, fourth, losses_reference)
    assert result(service, client, fourth, honest)["score"] == 35

    # A 5000-digit integer in a frame header: the same.
    forged = submit(
        client,
        third,
        hostile.forged_stream_file(losses_reference, hostile.FORGED_STREAMS["a 5000-digit integer in the header"]),
    )
    assert result(service, client, third, forged)["score"] == 35 - 4
    honest = submit(client, first, losses_reference)
    assert result(service, client, first, honest)["score"] == 35


def test_hidden_inputs_stay_hidden_through_the_api(service, client, students, losses_reference):
    submission = submit(client, students[0], hostile.hidden_harvester_file(losses_reference))
    body = result(service, client, students[0], submission)
    text = shown(body)
    assert "SEEN" in text
    # The only inputs a report may show are those of public calls: a hidden call's values never.
    from autograder.grading.assignment import find_assignment
    from autograder.grading.prepare import prepare_suite

    suite = prepare_suite(find_assignment("losses"), "hidden", HIDDEN_SEED)
    public, hidden = set(), set()
    for function in suite.functions:
        for program, values in zip(suite.programs(function), (public, hidden)):
            for call in program.calls:
                for argument in (*call.args, *call.kwargs.values()):
                    if hasattr(argument, "flat") and argument.size and argument.dtype.kind == "f":
                        values.add(repr(float(argument.flat[0])))
    assert any(value in text for value in public)  # the harvest works
    assert not [value for value in hidden - public if value in text]
