"""Instructor pages of code similarity: the ranked pairs of an assignment and a side-by-side view."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from autograder.jobs.similarity import request_indexing
from autograder.models import CourseAssignment
from autograder.services import similarity
from autograder.services.errors import NotFound
from autograder.web.access import course_assignment_taught, instructor_required

bp = Blueprint("similarity", __name__, url_prefix="/instructor/courses")

PAIRS_SHOWN = 200  # the page lists the most similar pairs; the JSON has them all
# What the background indexer has not reached yet is indexed on the page for at most this long;
# a larger backlog (a new engine version, work graded before) is left to the background indexer.
INDEXING_SECONDS_PER_REQUEST = 0.05


@bp.route("/<code>/<name>/similarity")
@instructor_required
def ranking(code: str, name: str):
    ca = course_assignment_taught(code, name)
    pending = _index_some(ca)
    ranked = similarity.ranking(ca)
    return render_template("similarity/ranking.html", ca=ca, ranking=ranked, pairs=ranked.pairs[:PAIRS_SHOWN],
                           hidden=max(0, len(ranked.pairs) - PAIRS_SHOWN), pending=pending)


@bp.route("/<code>/<name>/similarity.json")
@instructor_required
def ranking_json(code: str, name: str):
    ca = course_assignment_taught(code, name)
    pending = _index_some(ca)
    data = similarity.ranking(ca).to_json()
    data["submissions_not_yet_indexed"] = pending
    return jsonify(data)


def _index_some(ca: CourseAssignment) -> int:
    """Index a little of the backlog on the request; ask the background for the rest. Returns what remains."""
    similarity.ensure_indexed(ca, seconds=INDEXING_SECONDS_PER_REQUEST)
    pending = similarity.unindexed_count(ca)
    if pending:
        request_indexing(ca.id)
    return pending


@bp.route("/<code>/<name>/similarity/<int:submission_a>/<int:submission_b>")
@instructor_required
def side_by_side(code: str, name: str, submission_a: int, submission_b: int):
    ca = course_assignment_taught(code, name)
    try:
        view = similarity.side_by_side(ca, submission_a, submission_b)
    except NotFound:
        abort(404)
    return render_template("similarity/side_by_side.html", ca=ca, view=view)
