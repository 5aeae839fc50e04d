"""docker-compose.yml runs exactly the commands CI runs (autograder/jobs/commands.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.jobs import commands

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPOSITORY / "docker-compose.yml").read_text())


@pytest.mark.parametrize(("service", "expected"), [
    ("migrate", commands.migrate_command()),
    ("web", commands.web_command()),
    ("worker", commands.worker_command()),
])
def test_service_commands_are_the_ones_ci_runs(compose, service, expected):
    assert compose["services"][service]["command"] == expected


@pytest.mark.parametrize("service", ["migrate", "web", "worker"])
def test_app_services_get_the_distributed_environment(compose, service):
    environment = compose["services"][service]["environment"]
    for name, value in commands.SERVICE_ENVIRONMENT.items():
        assert environment[name] == value
    for name in commands.OPERATOR_ENVIRONMENT:
        assert environment[name].startswith(f"${{{name}:?"), f"{name} must be required from .env"


def test_service_urls_point_at_the_compose_services(compose):
    services = compose["services"]
    database = commands.SERVICE_ENVIRONMENT["DATABASE_URL"]
    assert database.startswith("postgresql+psycopg://") and "@postgres:5432/" in database
    assert commands.SERVICE_ENVIRONMENT["REDIS_URL"].startswith("redis://redis:6379/")
    user = services["postgres"]["environment"]
    assert f"{user['POSTGRES_USER']}:{user['POSTGRES_PASSWORD']}@" in database
    assert database.endswith("/" + user["POSTGRES_DB"])


def test_every_long_running_service_has_a_health_check_and_restarts(compose):
    for name in ("postgres", "redis", "web", "worker"):
        service = compose["services"][name]
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name


def test_start_order_waits_for_healthy_dependencies_and_migrations(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_data_lives_in_volumes_on_an_internal_network(compose):
    services = compose["services"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data", "prometheus-data"}
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis", "worker", "migrate"):
        assert services[name]["networks"] == ["backend"] and "ports" not in services[name], name
    assert services["web"]["ports"] == [f"{commands.WEB_PORT}:{commands.WEB_PORT}"]


def test_worker_scales_out(compose):
    worker = compose["services"]["worker"]
    # --scale worker=N needs no fixed container name or published port; %h keeps node names unique.
    assert "container_name" not in worker and "ports" not in worker
    assert "%h" in worker["command"][worker["command"].index("--hostname") + 1]


def test_dockerfile_installs_the_package_and_assignments_without_editable_mode():
    dockerfile = (REPOSITORY / "Dockerfile").read_text()
    for folder in ("autograder", "assignments"):
        assert f"COPY {folder} ./{folder}" in dockerfile
    assert "pip install -c requirements/server.lock '.[server]' ./assignments" in dockerfile
    assert " -e " not in dockerfile and "COPY migrations" not in dockerfile


@pytest.fixture(scope="module")
def prometheus_config() -> dict:
    return yaml.safe_load((REPOSITORY / commands.PROMETHEUS_CONFIG).read_text())


def test_monitoring_is_an_optional_profile_with_a_real_prometheus(compose):
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]  # `docker compose up` alone does not start it
    assert prometheus["image"].startswith("prom/prometheus:")
    assert f"./{commands.PROMETHEUS_CONFIG}:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "backend" in prometheus["networks"]  # the workers are only on the internal network
    for name, service in compose["services"].items():
        if name != "prometheus":
            assert "profiles" not in service, name


def test_prometheus_scrapes_the_web_and_every_worker_replica(compose, prometheus_config):
    jobs = {job["job_name"]: job for job in prometheus_config["scrape_configs"]}
    assert jobs["web"]["metrics_path"] == "/metrics"
    assert jobs["web"]["static_configs"][0]["targets"] == [f"web:{commands.WEB_PORT}"]
    workers = jobs["workers"]["dns_sd_configs"][0]
    assert workers["names"] == ["worker"] and workers["type"] == "A"  # every `--scale worker=N` replica
    worker = compose["services"]["worker"]
    assert workers["port"] == commands.WORKER_METRICS_PORT
    assert int(worker["environment"]["AUTOGRADER_WORKER_METRICS_PORT"]) == commands.WORKER_METRICS_PORT
    assert str(commands.WORKER_METRICS_PORT) in [str(port) for port in worker["expose"]]


def test_web_health_check_is_the_liveness_endpoint(compose):
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_services_log_json_lines(compose):
    for name in ("web", "worker"):
        assert compose["services"][name]["environment"]["AUTOGRADER_LOG_FORMAT"] == "json"


def test_worker_replicas_of_a_host_share_the_slot_lock_directory(compose):
    # Without it, two replicas would both take slot 0 and grade as the same host uid.
    assert "/run/autograder:/run/autograder" in compose["services"]["worker"]["volumes"]
