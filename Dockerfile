# One image for every service of the distributed mode (web, worker, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/server.lock ./requirements/
COPY autograder ./autograder
COPY assignments ./assignments
# A plain (non-editable) install: the migrations ship inside the package, the course's assignments
# are the companion distribution ./assignments (AUTOGRADER_ASSIGNMENTS_DIR may point elsewhere).
# Exact versions come from the lock (scripts/lock).
RUN pip install -c requirements/server.lock '.[server]' ./assignments \
    && rm -rf /src \
    && python -c "import autograder.jobs.celery_app, autograder.grading.engine, autograder_assignments"

WORKDIR /app
# Workers stay root inside the container: the sandbox drops each student's code to its own
# unprivileged uid inside fresh namespaces, which needs root (see docker-compose.yml).
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "autograder.app:create_app()"]
