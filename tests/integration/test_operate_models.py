"""`localfn models list | pull | warm | unload` against the Ollama test peer on loopback.

No llama-server is needed: listing, pulling and loading never reach the model. The peer checks
every request and response (each streamed progress line too) against Ollama's OpenAPI description.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from localfn.cli import main
from localfn.operate.ollama import OllamaAdmin
from tests.chart import rendering
from tests.support.asgi_server import serve_in_thread
from tests.support.fake_cluster import chart_cluster
from tests.support.fake_kube_api import kubeconfig
from tests.support.ollama_peer import PULL_CHUNKS, OllamaPeer, Published

NOWHERE = "http://127.0.0.1:9"  # llama-server is never called by these commands


@pytest.fixture
def peer() -> Iterator[tuple[OllamaPeer, str]]:
    peer = OllamaPeer(NOWHERE, {"tiny:latest": "tiny"})
    peer.registry["llama3.2:1b"] = Published("tiny", layers=(2_000_000, 4_096))
    with serve_in_thread(peer) as url:
        yield peer, url
    assert peer.violations == [], "off Ollama's spec"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["models", *args], terminal_width=100)


def test_pull_streams_progress_for_each_layer_then_lists_the_model(peer: tuple[OllamaPeer, str]) -> None:
    fake, url = peer
    with httpx.Client() as client:
        steps = list(OllamaAdmin(url, client).pull("llama3.2:1b"))
    layers = {step.digest for step in steps if step.digest}
    assert len(layers) == 2
    assert [s.completed for s in steps if s.total == 4_096] == [4_096 * k // PULL_CHUNKS for k in range(1, PULL_CHUNKS + 1)]
    assert steps[-1].status == "success"
    assert "llama3.2:1b" in fake.models


def test_pull_command_shows_a_bar_per_layer(peer: tuple[OllamaPeer, str]) -> None:
    _, url = peer
    result = run("pull", "llama3.2:1b", "--ollama-url", url)
    assert result.exit_code == 0, result.output
    assert "pulling manifest" in result.output and "success" in result.output
    assert len(re.findall(r"pulling [0-9a-f]{12}", result.output)) >= 2  # one bar per layer digest
    assert "2.0/2.0 MB" in result.output
    assert f"OK: llama3.2:1b is on {url}" in result.output
    listed = run("list", "--ollama-url", url)
    assert "llama3.2:1b" in listed.output and "tiny:latest" in listed.output


def test_pulling_a_name_the_registry_lacks_says_to_check_it(peer: tuple[OllamaPeer, str]) -> None:
    _, url = peer
    result = run("pull", "no-such-model", "--ollama-url", url)
    assert result.exit_code == 1
    assert "registry has no model 'no-such-model'" in result.output and "ollama.com/library" in result.output


def test_a_full_disk_says_what_to_enlarge(peer: tuple[OllamaPeer, str]) -> None:
    fake, url = peer
    fake.pull_fault = "disk_full"
    result = run("pull", "llama3.2:1b", "--ollama-url", url)
    assert result.exit_code == 1
    assert "model store is full" in result.output and "persistence.size" in result.output
    assert "llama3.2:1b" not in fake.models


def test_warm_loads_with_the_keep_alive_asked_and_unload_frees_it(peer: tuple[OllamaPeer, str]) -> None:
    fake, url = peer
    result = run("warm", "tiny", "--keep-alive", "-1", "--ollama-url", url)
    assert result.exit_code == 0, result.output
    assert fake.loaded == ["tiny:latest"]
    assert fake.requests[-2] == ("/api/generate", {"model": "tiny", "keep_alive": -1, "stream": False})
    assert "OK: tiny:latest is loaded" in result.output and "100% CPU" in result.output
    listed = run("list", "--ollama-url", url)
    assert re.search(r"tiny:latest +│ +0 +│ yes +│ 100% CPU", listed.output), listed.output

    result = run("unload", "tiny", "--ollama-url", url)
    assert result.exit_code == 0, result.output
    assert fake.loaded == []
    assert fake.requests[-1] == ("/api/generate", {"model": "tiny", "keep_alive": 0, "stream": False})


def test_warming_a_model_not_pulled_says_to_pull_it(peer: tuple[OllamaPeer, str]) -> None:
    _, url = peer
    result = run("warm", "llama3.2:1b", "--ollama-url", url)
    assert result.exit_code == 1
    assert "`localfn models pull llama3.2:1b` first" in result.output


def test_no_ollama_says_what_to_start(closed_port_url: str) -> None:
    result = run("list", "--ollama-url", closed_port_url)
    assert result.exit_code == 1
    assert f"no Ollama answers at {closed_port_url}" in result.output and "ollama serve" in result.output


def test_the_ollama_defaults_to_the_first_configured_one(peer: tuple[OllamaPeer, str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = peer
    monkeypatch.delenv("LOCALFN_OLLAMA_URL", raising=False)
    monkeypatch.setenv("LOCALFN_ENGINES", f'[{{"name": "gpu", "kind": "ollama", "url": "{url}", "model": "tiny"}}]')
    assert run("warm", "tiny").exit_code == 0
    assert fake.loaded == ["tiny:latest"]


@pytest.mark.skipif(rendering.find_helm() is None, reason="needs the helm binary (scripts/install-k8s-tools.sh)")
def test_a_pool_of_the_chart_through_the_api_server(tmp_path: Path) -> None:
    """`--pool cpu`: the release's CPU pool Service, through the API server's service proxy (FakeKubeApi), no port-forward."""
    cluster = chart_cluster({})
    peer = cluster.peers["demo-localfn-ollama-cpu-0"]
    peer.registry["qwen2.5:0.5b"] = Published("tiny")
    with serve_in_thread(cluster.api) as url:
        config = tmp_path / "kubeconfig"
        config.write_text(yaml.safe_dump(kubeconfig(url, rendering.NAMESPACE)))
        where = ["--pool", "cpu", "--kubeconfig", str(config), "--release", rendering.RELEASE]
        pulled = run("pull", "qwen2.5:0.5b", *where)
        warmed = run("warm", "qwen2.5:0.5b", *where)
        listed = run("list", *where)
        missing = run("list", "--pool", "gpu", "--kubeconfig", str(config), "--release", "other")
    assert pulled.exit_code == 0, pulled.output
    assert f"is on {url}/api/v1/namespaces/{rendering.NAMESPACE}/services/demo-localfn-ollama-cpu:11434/proxy" in pulled.output
    assert warmed.exit_code == 0 and peer.loaded == ["qwen2.5:0.5b"]
    assert "qwen2.5:0.5b" in listed.output and "llama3.2:1b" in listed.output
    assert missing.exit_code == 1 and "has no gpu Ollama pool" in missing.output
    assert any(
        r.startswith(f"/api/v1/namespaces/{rendering.NAMESPACE}/services/demo-localfn-ollama-cpu:11434/proxy/api/pull")
        for r in cluster.api.requests
    )
    assert peer.violations == []
