"""A throwaway PostgreSQL database and Redis queue on the machine's own services, for one benchmark run.

    with throwaway_services("profile") as services:
        stack = services.stack(work, "secret", AUTOGRADER_HIDDEN_SEED="1")  # processes on them
        app = create_app(services.config(work))  # an app in this process on them

Dropped (the database, with its connections) and deleted (the queue) afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from autograder.config import TestConfig
from autograder.jobs.local_stack import LocalStack

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    queue: str

    def stack(self, work: Path, secret_key: str, **environment: str) -> LocalStack:
        """A local stack (logs under ``work``) whose processes use these services, with ``environment`` besides."""
        return LocalStack.create(
            work / "logs",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            AUTOGRADER_CELERY_QUEUE=self.queue,
            AUTOGRADER_SECRET_KEY=secret_key,
            **environment,
        )

    def config(self, work: Path) -> TestConfig:
        """Settings for an app in this process on these services, sending gradings through Celery."""
        config = TestConfig(work, self.database_url)
        config.QUEUE_BACKEND, config.REDIS_URL, config.CELERY_QUEUE = "celery", self.redis_url, self.queue
        return config


@contextlib.contextmanager
def throwaway_services(label: str) -> Iterator[Services]:
    """A fresh database ``autograder_<label>_<random>``, a random Redis database number and queue name."""
    database = f"autograder_{label}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    services = Services(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        redis_url=f"redis://127.0.0.1:6379/{random.randint(1, 15)}",
        queue=f"grading-{label}-{uuid.uuid4().hex[:10]}",
    )
    try:
        yield services
    finally:
        with contextlib.suppress(Exception), psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            import redis

            redis.Redis.from_url(services.redis_url).delete(services.queue)
