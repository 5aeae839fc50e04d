"""Instructor pages of code similarity: the ranked pairs of an assignment and a side-by-side view."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from autograder.services import similarity
from autograder.services.errors import NotFound
from autograder.web.access import course_assignment_taught, instructor_required

bp = Blueprint("similarity", __name__, url_prefix="/instructor/courses")

PAIRS_SHOWN = 200  # the page lists the most similar pairs; the JSON has them all
INDEXED_PER_REQUEST = 100  # a backlog (a new engine version, work graded before) is indexed over a few loads



@bp.route("/<code>/<name>/similarity")
@instructor_required
def ranking(code: str, name: str):
    ca = course_assignment_taught(code, name)
    similarity.ensure_indexed(ca, limit=INDEXED_PER_REQUEST)
    ranked = similarity.ranking(ca)
    return render_template("similarity/ranking.html", ca=ca, ranking=ranked, pairs=ranked.pairs[:PAIRS_SHOWN],
                           hidden=max(0, len(ranked.pairs) - PAIRS_SHOWN), pending=similarity.unindexed_count(ca))


@bp.route("/<code>/<name>/similarity.json")
@instructor_required
def ranking_json(code: str, name: str):
    ca = course_assignment_taught(code, name)
    similarity.ensure_indexed(ca, limit=INDEXED_PER_REQUEST)
    data = similarity.ranking(ca).to_json()
    data["submissions_not_yet_indexed"] = similarity.unindexed_count(ca)
    return jsonify(data)


@bp.route("/<code>/<name>/similarity/<int:submission_a>/<int:submission_b>")
@instructor_required
def side_by_side(code: str, name: str, submission_a: int, submission_b: int):
    ca = course_assignment_taught(code, name)
    try:
        view = similarity.side_by_side(ca, submission_a, submission_b)
    except NotFound:
        abort(404)
    return render_template("similarity/side_by_side.html", ca=ca, view=view)
