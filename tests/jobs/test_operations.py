"""/healthz, /readyz, /metrics and JSON logs with the submission id."""

from __future__ import annotations

import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from autograder.jobs import enqueue_grading, grading_queue
from autograder.extensions import db
from autograder.logs import ContextFilter, JsonFormatter, log_context
from autograder.models import Submission, SubmissionStatus
from autograder.services.grading import grade_submission


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_answers_without_consulting_anything(jobs_app):
    response = jobs_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_wants_a_live_worker(jobs_app, make_submission):
    client = jobs_app.test_client()
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.get_json()["checks"]["database"] == "ok"
    assert "no grading worker" in before.get_json()["checks"]["workers"]
    submission = make_submission()
    enqueue_grading(submission.id)  # starts the embedded pool, whose threads beat
    grading_queue().join()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"]["workers"] == "2 live"
    grading_queue().stop()  # a clean stop removes the heartbeats
    assert client.get("/readyz").status_code == 503


def test_readyz_reports_an_unreachable_broker_without_its_address(jobs_app, caplog):
    jobs_app.config.update(QUEUE_BACKEND="celery", REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens on 9
    with caplog.at_level(logging.WARNING, logger=jobs_app.logger.name):
        response = jobs_app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "not ready" and body["checks"]["broker"].startswith("failing: ConnectionError")
    # The page is public: the driver's message (host, port) goes to the operator's log only.
    assert "127.0.0.1" not in response.get_data(as_text=True) and ":9" not in body["checks"]["broker"]
    assert any("broker" in record.getMessage() and "127.0.0.1" in record.getMessage() for record in caplog.records)


def test_metrics_show_queue_statuses_gradings_and_heartbeats(jobs_app, make_submission, executor):
    graded = make_submission()
    make_submission()  # graded by the embedded pool, whose first sweep sends it
    grade_submission(graded.id, executor=executor, worker="metrics-test")
    grading_queue().start()
    grading_queue().join()
    response = jobs_app.test_client().get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    samples = _samples(response.get_data(as_text=True))
    db.session.expire_all()
    done = sum(1 for row in db.session.query(Submission) if row.status == SubmissionStatus.DONE)
    assert samples[("autograder_submissions", (("status", "done"),))] == done
    assert ("autograder_queue_depth", (("state", "dispatched"),)) in samples
    assert samples[("autograder_gradings_total", (("outcome", "graded"),))] >= 1
    assert samples[("autograder_grading_seconds_count", (("outcome", "graded"),))] >= 1
    assert ("autograder_sandbox_failures_total", ()) in samples
    assert samples[("autograder_live_workers", ())] == 2
    beats = [key for key in samples if key[0] == "autograder_worker_heartbeat_age_seconds"]
    assert len(beats) == 2 and all(dict(key[1])["kind"] == "embedded" for key in beats)


def test_metrics_can_require_a_token(jobs_app):
    jobs_app.config["METRICS_TOKEN"] = "s3cret"
    client = jobs_app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_json_log_lines_carry_the_submission_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("autograder.test-json")
    logger.addHandler(handler)
    try:
        with log_context(submission_id=42):
            logger.warning("graded %s", "it")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["submission_id"] == 42 and inside["message"] == "graded it" and inside["level"] == "warning"
    assert "submission_id" not in outside
