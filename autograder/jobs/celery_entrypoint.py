"""What `celery -A autograder.jobs.celery_entrypoint worker` loads: like a wsgi.py, it builds the app."""

from __future__ import annotations

from autograder.app import create_app
from autograder.jobs.celery_app import celery_init_app, install_worker_hooks

flask_app = create_app()
celery = celery_init_app(flask_app)
install_worker_hooks(celery, flask_app)
