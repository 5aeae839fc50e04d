"""Operations endpoints: /healthz (the process answers), /readyz (it can do its job), /metrics (Prometheus)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text

from autograder.extensions import db

bp = Blueprint("operations", __name__)


@bp.route("/healthz")
def healthz():
    """The process is up (no dependency is consulted: a liveness probe must not restart it for a database blip)."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


class NotReady(Exception):
    """A check's own reason, worded for the public: shown as it is."""


def _check_database() -> str:
    db.session.execute(text("SELECT 1"))
    db.session.commit()
    return "ok"


def _check_broker() -> str:
    if current_app.config.get("QUEUE_BACKEND") != "celery":
        return "in-process queue"
    import redis

    redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()
    return "ok"


def _check_workers() -> str:
    from autograder.services.workers import live_workers

    live = live_workers()
    if not live:
        raise NotReady("no grading worker has sent a heartbeat recently")
    return f"{len(live)} live"


@bp.route("/readyz")
def readyz():
    """Ready when the database and the broker answer and at least one grading worker is alive (503 otherwise)."""
    checks: dict[str, Any] = {}
    ready = True
    for name, check in (("database", _check_database), ("broker", _check_broker), ("workers", _check_workers)):
        try:
            checks[name] = check()
        except NotReady as reason:
            ready = False
            checks[name] = f"failing: {reason}"
        except Exception as error:  # any failure is "not ready"
            db.session.rollback()
            ready = False
            # A driver's message names hosts, ports and users: the log has it, the public page does not.
            current_app.logger.warning("readyz: the %s check failed: %s: %s", name, type(error).__name__, error)
            checks[name] = f"failing: {type(error).__name__} (the server log has the details)"
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@bp.route("/metrics")
def metrics():
    """Prometheus exposition: this process's gradings plus the database's queue, statuses and heartbeats."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from autograder.metrics import REGISTRY, DatabaseCollector
    from autograder.services.workers import queue_snapshot

    if not _authorised():
        return Response("a bearer token is required\n", status=401, mimetype="text/plain")
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(queue_snapshot))
    try:
        body = generate_latest(REGISTRY) + generate_latest(database)
    except Exception as error:
        db.session.rollback()
        return Response(f"metrics unavailable: {type(error).__name__}\n", status=503, mimetype="text/plain")
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
