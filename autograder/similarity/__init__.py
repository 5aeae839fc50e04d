"""Code similarity between submissions: normalised tokens, winnowed fingerprints, per-file and per-function scores.

Pure Python, no Flask or SQLAlchemy: the service (``autograder.services.similarity``), the
``autograder similarity`` command and ``bench/similarity_bench.py`` call it. A score is
evidence for an instructor to review, never a verdict.
"""
