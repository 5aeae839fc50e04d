# One image for every service of the distributed mode (web, worker, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/server.lock ./requirements/
COPY autograder ./autograder
COPY migrations ./migrations
COPY assignments ./assignments
# The service's exact versions come from the lock (scripts/lock); the package itself from here.
# Editable, like the development checkout: migrations/ and assignments/ are found next to the package.
RUN pip install -c requirements/server.lock -e '.[server]' \
    && python -c "import autograder.jobs.celery_app, autograder.grading.engine"

# Workers stay root inside the container: the sandbox drops each student's code to its own
# unprivileged uid inside fresh namespaces, which needs root (see docker-compose.yml).
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "autograder.app:create_app()"]
