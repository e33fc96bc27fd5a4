"""route-query as it is deployed: functions-framework --asgi, configured by the chart's environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from localfn.engine.embedded import LlamaServer
from tests.support.processes import free_port, wait_ready

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
KEY = "process-test-key-81c2"


async def test_functions_framework_serves_route_query_and_its_stats_with_the_cloud_from_the_environment(
    tiny_server: LlamaServer, tiny_model: Path, tmp_path: Path
) -> None:
    async with LlamaServer(tiny_model, name="cloud-tiny", ctx_size=4096, parallel=1, extra_args=("--api-key", KEY)) as cloud:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("LOCALFN_")}
        env |= {
            "HOME": str(tmp_path),
            "LOCALFN_ENGINES": json.dumps([tiny_server.backend().model_dump(mode="json")]),
            "LOCALFN_CLOUD__URL": cloud.url,
            "LOCALFN_CLOUD__MODEL": "cloud-tiny",
            "LOCALFN_CLOUD__API_KEY": KEY,
            "LOCALFN_ROUTE_QUERY__MAX_ANSWER_TOKENS": "8",
        }
        log = tmp_path / "route-query.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    str(BIN / "functions-framework"),
                    "--asgi",
                    "--target",
                    "route_query",
                    "--source",
                    str(ROOT / "functions/route_query/main.py"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=output,
                stderr=output,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/health/ready", process, log)
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                answer = (await client.post("/", json={"query": "prove sqrt(3) is irrational"})).json()
                stats = (await client.get("/stats")).json()
                metrics = (await client.get("/metrics")).text
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert (answer["tier"], answer["path"], answer["degraded"], answer["model"]) == ("complex", "cloud", False, "cloud-tiny")
    assert stats["paths"]["cloud"]["count"] == 1 and stats["queries"] == 1
    assert 'localfn_route_queries_total{degraded="false",path="cloud",tier="complex"} 1.0' in metrics
    assert KEY not in log.read_text()
