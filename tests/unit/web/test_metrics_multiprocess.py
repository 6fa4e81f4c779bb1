"""/metrics under several uvicorn workers: PROMETHEUS_MULTIPROC_DIR adds up every process.

prometheus-client chooses where values live when it is imported, so each "worker" is its
own Python process here, as under ``uvicorn --workers N``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal.config import PROJECT_ROOT

WORKER = """
import sys
from starlette.routing import Route
from portal.web import metrics

route = Route("/cases/{number}", lambda request: None)
for _ in range(int(sys.argv[1])):
    metrics.observe({"method": "GET", "route": route}, 200, 0.01)
"""

SCRAPE = """
from portal.web import metrics

body, content_type = metrics.exposition()
print(body.decode())
"""


def _run(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _env(directory: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return env | ({"PROMETHEUS_MULTIPROC_DIR": str(directory)} if directory else {})


def _sample(text: str, name: str) -> float:
    line = next(li for li in text.splitlines()
                if li.startswith(name) and 'route="/cases/{number}"' in li)
    return float(line.rsplit(" ", 1)[1])


def test_metrics_of_every_worker_are_added_up(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _run(WORKER, env, "3")
    _run(WORKER, env, "2")
    scraped = _run(SCRAPE, env)
    assert _sample(scraped, 'odr_http_requests_total{method="GET"') == 5
    assert _sample(scraped, "odr_http_request_duration_seconds_count") == 5


def test_without_the_directory_a_process_reports_only_its_own(tmp_path: Path) -> None:
    env = _env(None)
    _run(WORKER, env, "3")
    assert 'route="/cases/{number}"' not in _run(SCRAPE, env)
