"""A real Prometheus (where installed) checks the monitoring profile's configuration and scrapes a stack."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from autograder.jobs import commands
from autograder.jobs.local_stack import free_port

REPOSITORY = Path(__file__).resolve().parents[2]

needs_prometheus = pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                                      reason="Prometheus is not installed (Debian: apt-get install prometheus)")


@needs_prometheus
def test_promtool_accepts_the_monitoring_profiles_configuration():
    checked = subprocess.run(["promtool", "check", "config", str(REPOSITORY / commands.PROMETHEUS_CONFIG)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _query(port: int, expression: str) -> list[dict]:
    answer = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": expression}, timeout=5).json()
    return answer["data"]["result"] if answer.get("status") == "success" else []


@needs_prometheus
@pytest.mark.services
@pytest.mark.timeout(240)
def test_a_real_prometheus_scrapes_the_web_and_a_worker(stack, stack_app, student_token, losses_reference, tmp_path):
    web_port, worker_metrics = free_port(), free_port()
    stack.start_web(web_port)
    stack.start_worker("grader-a", metrics_port=worker_metrics)
    posted = requests.post(f"http://127.0.0.1:{web_port}/api/v1/assignments/losses/submissions",
                           headers={"Authorization": f"Bearer {student_token}"},
                           files={"file": ("losses.py", losses_reference.encode())}, timeout=30)
    assert posted.status_code == 202
    # The compose configuration, with this machine's addresses for the compose service names.
    config = yaml.safe_load((REPOSITORY / commands.PROMETHEUS_CONFIG).read_text())
    config["global"]["scrape_interval"] = "1s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["web"]["static_configs"] = [{"targets": [f"127.0.0.1:{web_port}"]}]
    workers = jobs["workers"]
    workers.pop("dns_sd_configs")
    workers["static_configs"] = [{"targets": [f"127.0.0.1:{worker_metrics}"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                up = {sample["metric"]["job"]: sample["value"][1] for sample in _query(port, "up")}
                graded = _query(port, 'sum(autograder_gradings_total{job="workers",outcome="graded"})')
                live = _query(port, 'autograder_live_workers{job="web"}')
            except requests.RequestException:
                up, graded, live = {}, [], []
            if (up == {"web": "1", "workers": "1"} and graded and graded[0]["value"][1] == "1"
                    and live and live[0]["value"][1] == "1") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert up == {"web": "1", "workers": "1"}
        assert graded and graded[0]["value"][1] == "1"
        assert live and live[0]["value"][1] == "1"
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)
