"""Pod pools in the chart: LOCALFN_ENGINES names a headless Service of ready pods, which the functions balance over."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from localfn.settings import Settings
from tests.chart import objects, rendering


def _engines(docs: list[objects.Doc]) -> list[list[dict]]:
    return [objects.engines_of(objects.main_container(wl)) for wl in objects.function_workloads(docs)]


def _service_named(url: str, docs: list[objects.Doc]) -> objects.Doc:
    name = urlparse(url).hostname.split(".")[0]
    return objects.by_name(objects.core_services(docs))[name]


def _function_settings(docs: list[objects.Doc], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """What the product reads from the first function's LOCALFN_* environment."""
    container = objects.main_container(objects.function_workloads(docs)[0])
    for name, entry in objects.env_of(container).items():
        if name.startswith("LOCALFN_") and "value" in entry:
            monkeypatch.setenv(name, entry["value"])
    return Settings()


@pytest.mark.parametrize("mode", ["least-load", "prefix"])
def test_balanced_pools_name_a_headless_service_of_ready_pods_only(helm: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = rendering.render_scenario("default", f"ollama.balance={mode}", "settings.podRefreshSeconds=2")
    statefulsets = {objects.pod_template(s)[0]["labels"]["localfn.io/pool"]: s for s in objects.ollama_statefulsets(docs)}
    for engines in _engines(docs):
        assert [(e["name"], e["balance"]) for e in engines] == [("gpu", mode), ("cpu", mode)]
        for engine in engines:
            service = _service_named(engine["url"], docs)
            assert service["spec"]["clusterIP"] == "None"
            assert service["spec"]["publishNotReadyAddresses"] is False
            assert urlparse(engine["url"]).port in [p["port"] for p in service["spec"]["ports"]]
            # An absolute name: looked up as is, not first under each of the pod's search domains.
            assert urlparse(engine["url"]).hostname == f"{service['metadata']['name']}.{rendering.NAMESPACE}.svc.cluster.local."
            assert objects.selects(service["spec"]["selector"], objects.pod_template(statefulsets[engine["name"]])[0]["labels"])
            # Not the StatefulSet's own headless Service, which lists pods still pulling their models.
            assert service["metadata"]["name"] != statefulsets[engine["name"]]["spec"]["serviceName"]
    settings = _function_settings(docs, monkeypatch)
    assert [(e.name, e.balance) for e in settings.engines] == [("gpu", mode), ("cpu", mode)]
    assert settings.pod_refresh_s == 2


def test_service_mode_calls_the_client_service_and_renders_no_ready_service(helm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = rendering.render_scenario("default", "ollama.balance=service")
    for engines in _engines(docs):
        for engine in engines:
            assert "balance" not in engine
            assert _service_named(engine["url"], docs)["spec"].get("clusterIP") != "None"
    assert not [s for s in objects.core_services(docs) if s["metadata"]["name"].endswith("-ready")]
    container = objects.main_container(objects.function_workloads(docs)[0])
    assert objects.env_value(container, "LOCALFN_POD_REFRESH_S") is None
    assert {e.balance for e in _function_settings(docs, monkeypatch).engines} == {"service"}


def test_the_ready_service_name_is_a_dns_label_however_long_the_release_name(helm: str) -> None:
    docs = rendering.render_scenario("default", f"fullnameOverride={'x' * 63}")
    names = [urlparse(e["url"]).hostname.split(".")[0] for engines in _engines(docs) for e in engines]
    assert names and all(len(name) <= 63 for name in names), names
    assert len(set(names)) == 2  # the GPU and CPU pools stay apart


def test_an_unknown_balance_mode_is_refused_naming_the_choices(helm: str) -> None:
    error = rendering.render_error(set_values=["ollama.balance=round-robin"])
    assert "balance" in error and "least-load" in error
