"""Pod pools in the chart: LOCALFN_ENGINES names a headless Service of ready pods, which the functions balance over."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from localfn.settings import Settings
from tests.chart import chart_support as cs


def _engines(docs: list[cs.Doc]) -> list[list[dict]]:
    return [cs.engines_of(cs.main_container(wl)) for wl in cs.function_workloads(docs)]


def _service_named(url: str, docs: list[cs.Doc]) -> cs.Doc:
    name = urlparse(url).hostname.split(".")[0]
    return cs.by_name(cs.core_services(docs))[name]


def _function_settings(docs: list[cs.Doc], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """What the product reads from the first function's LOCALFN_* environment."""
    container = cs.main_container(cs.function_workloads(docs)[0])
    for name, entry in cs.env_of(container).items():
        if name.startswith("LOCALFN_") and "value" in entry:
            monkeypatch.setenv(name, entry["value"])
    return Settings()


@pytest.mark.parametrize("mode", ["least-load", "prefix"])
def test_balanced_pools_name_a_headless_service_of_ready_pods_only(helm: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = cs.render_scenario("default", f"ollama.balance={mode}", "settings.podRefreshSeconds=2")
    statefulsets = {cs.pod_template(s)[0]["labels"]["localfn.io/pool"]: s for s in cs.ollama_statefulsets(docs)}
    for engines in _engines(docs):
        assert [(e["name"], e["balance"]) for e in engines] == [("gpu", mode), ("cpu", mode)]
        for engine in engines:
            service = _service_named(engine["url"], docs)
            assert service["spec"]["clusterIP"] == "None"
            assert service["spec"]["publishNotReadyAddresses"] is False
            assert urlparse(engine["url"]).port in [p["port"] for p in service["spec"]["ports"]]
            # An absolute name: looked up as is, not first under each of the pod's search domains.
            assert urlparse(engine["url"]).hostname == f"{service['metadata']['name']}.{cs.NAMESPACE}.svc.cluster.local."
            assert cs.selects(service["spec"]["selector"], cs.pod_template(statefulsets[engine["name"]])[0]["labels"])
            # Not the StatefulSet's own headless Service, which lists pods still pulling their models.
            assert service["metadata"]["name"] != statefulsets[engine["name"]]["spec"]["serviceName"]
    settings = _function_settings(docs, monkeypatch)
    assert [(e.name, e.balance) for e in settings.engines] == [("gpu", mode), ("cpu", mode)]
    assert settings.pod_refresh_s == 2


def test_service_mode_calls_the_client_service_and_renders_no_ready_service(helm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = cs.render_scenario("default", "ollama.balance=service")
    for engines in _engines(docs):
        for engine in engines:
            assert "balance" not in engine
            assert _service_named(engine["url"], docs)["spec"].get("clusterIP") != "None"
    assert not [s for s in cs.core_services(docs) if s["metadata"]["name"].endswith("-ready")]
    container = cs.main_container(cs.function_workloads(docs)[0])
    assert cs.env_value(container, "LOCALFN_POD_REFRESH_S") is None
    assert {e.balance for e in _function_settings(docs, monkeypatch).engines} == {"service"}


def test_the_ready_service_name_is_a_dns_label_however_long_the_release_name(helm: str) -> None:
    docs = cs.render_scenario("default", f"fullnameOverride={'x' * 63}")
    names = [urlparse(e["url"]).hostname.split(".")[0] for engines in _engines(docs) for e in engines]
    assert names and all(len(name) <= 63 for name in names), names
    assert len(set(names)) == 2  # the GPU and CPU pools stay apart


def test_an_unknown_balance_mode_is_refused_naming_the_choices(helm: str) -> None:
    error = cs.render_error(set_values=["ollama.balance=round-robin"])
    assert "balance" in error and "least-load" in error
