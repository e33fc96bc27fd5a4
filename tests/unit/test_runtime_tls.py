"""The shared HTTP client loads the CA bundle only when something is reached over https, and never skips verification."""

from __future__ import annotations

import ssl

from localfn.runtime import tls_verification
from localfn.settings import BackendSettings, Settings


def engine(url: str) -> BackendSettings:
    return BackendSettings(name="e", kind="openai", url=url, model="m")


def test_plain_http_engines_get_a_verifying_context_without_the_ca_bundle() -> None:
    context = tls_verification(Settings(engines=[engine("http://ollama:11434")]))
    assert isinstance(context, ssl.SSLContext)
    assert (context.verify_mode, context.check_hostname, context.get_ca_certs()) == (ssl.CERT_REQUIRED, True, [])


def test_an_https_engine_gets_the_ca_bundle() -> None:
    assert tls_verification(Settings(engines=[engine("http://ollama:11434"), engine("https://gpu.example/v1")])) is True


def test_an_https_cloud_model_gets_the_ca_bundle() -> None:
    settings = Settings(engines=[engine("http://ollama:11434")], cloud={"url": "https://api.example.com/v1", "model": "m"})
    assert tls_verification(settings) is True
