"""localfn.settings: typed settings from LOCALFN_* variables and secret files."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from localfn.settings import _FLAT_NAMES, BackendSettings, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LOCALFN_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("LOCALFN_"):
            monkeypatch.delenv(name)


def engine(**fields: str) -> dict[str, str]:
    return {"name": "gpu", "kind": "ollama", "url": "http://gpu:11434", "model": "llama3.2:1b", **fields}


def error_locations(exc: ValidationError) -> list[tuple]:
    return [tuple(error["loc"]) for error in exc.errors()]


def test_engines_json_is_parsed_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LOCALFN_ENGINES",
        json.dumps(
            [
                engine(),
                engine(name="cpu", kind="openai", url="http://cpu:8000/v1", model="qwen", vision_model="llava", api_key="k3y"),
            ]
        ),
    )
    engines = Settings().engines

    assert [e.name for e in engines] == ["gpu", "cpu"]
    assert all(isinstance(e, BackendSettings) for e in engines)
    assert (engines[1].kind, str(engines[1].url), engines[1].vision_model) == ("openai", "http://cpu:8000/v1", "llava")
    assert engines[1].api_key is not None and engines[1].api_key.get_secret_value() == "k3y"
    assert "k3y" not in repr(engines[1])
    assert engines[0].vision_model is None and engines[0].api_key is None


@pytest.mark.parametrize(("field", "value"), [("kind", "vllm"), ("url", "not a url")])
def test_a_bad_engine_field_is_a_validation_error_naming_it(monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    monkeypatch.setenv("LOCALFN_ENGINES", json.dumps([engine(**{field: value})]))
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert ("engines", 0, field) in error_locations(caught.value)


def test_an_empty_engine_list_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_ENGINES", "[]")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize("name", ["gpu 1", "", "gpu/1", "gpu.1"])
def test_engine_names_must_be_metric_label_safe(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BackendSettings(**engine(name=name))
    assert ("name",) in error_locations(caught.value)


@pytest.mark.parametrize("name", ["gpu", "gpu-1", "cpu_pool"])
def test_label_safe_engine_names_are_accepted(name: str) -> None:
    assert BackendSettings(**engine(name=name)).name == name


def test_an_engine_may_name_a_pool_of_pods_to_balance_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_ENGINES", json.dumps([engine(url="http://gpu-ready.ai.svc.cluster.local:11434", balance="prefix")]))
    monkeypatch.setenv("LOCALFN_POD_REFRESH_S", "2.5")
    settings = Settings()
    assert (settings.engines[0].balance, settings.pod_refresh_s) == ("prefix", 2.5)
    assert BackendSettings(**engine()).balance == "service"  # one URL, as before


def test_an_unknown_balance_mode_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        BackendSettings(**engine(balance="round-robin"))
    assert ("balance",) in error_locations(caught.value)
    assert "least-load" in str(caught.value)


def test_a_pod_pool_over_https_is_refused_saying_why() -> None:
    with pytest.raises(ValidationError, match="use an http:// URL"):
        BackendSettings(**engine(url="https://gpu:11434", balance="least-load"))


def test_defaults_describe_one_local_ollama() -> None:
    settings = Settings()
    (only,) = settings.engines
    assert (only.kind, str(only.url).rstrip("/")) == ("ollama", "http://127.0.0.1:11434")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.max_repairs == 2
    assert settings.cache_ttl_s > 0 and settings.cache_max_entries > 0  # the result cache is on by default


def test_scalar_settings_come_from_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_PORT", "9090")
    monkeypatch.setenv("LOCALFN_MAX_REPAIRS", "0")
    monkeypatch.setenv("PORT", "1")  # unprefixed: not ours
    settings = Settings()
    assert (settings.port, settings.max_repairs) == (9090, 0)


def test_out_of_range_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_MAX_REPAIRS", "9")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert ("max_repairs",) in error_locations(caught.value)


@pytest.mark.parametrize("value", ["0.9", "2.5", "-1"])
def test_the_repeat_penalty_is_between_1_and_2(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LOCALFN_REPEAT_PENALTY", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert ("repeat_penalty",) in error_locations(caught.value)


def test_the_repeat_penalty_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().repeat_penalty == 1.1  # Ollama's own default, now sent to llama-server too
    monkeypatch.setenv("LOCALFN_REPEAT_PENALTY", "1")
    assert Settings().repeat_penalty == 1.0


def test_load_without_a_secrets_dir_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCALFN_KEEP_ALIVE", "5m")
    assert Settings.load(secrets_dir=tmp_path / "absent").keep_alive == "5m"


def test_load_reads_a_secret_file_named_like_the_variable(tmp_path: Path) -> None:
    (tmp_path / "localfn_keep_alive").write_text("10m")
    assert Settings.load(secrets_dir=tmp_path).keep_alive == "10m"


@pytest.mark.parametrize("url", ["redis://cache:6379/0", "rediss://:secret@cache:6380/1", "unix:///run/redis.sock"])
def test_state_url_takes_redis_tls_and_unix_socket_urls(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("LOCALFN_STATE_URL", url)
    settings = Settings()
    assert settings.state_url is not None and settings.state_url.get_secret_value() == url
    assert "secret" not in repr(settings)  # a password in the URL is never printed


def test_state_url_with_another_scheme_says_which_ones_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_STATE_URL", "http://cache:6379")
    with pytest.raises(ValidationError, match="redis://, rediss://, unix://"):
        Settings()


def test_empty_state_url_and_password_mean_no_shared_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_STATE_URL", "")
    monkeypatch.setenv("LOCALFN_STATE_PASSWORD", "")
    settings = Settings()
    assert (settings.state_url, settings.state_password, settings.state_timeout_ms) == (None, None, 50)


@pytest.mark.parametrize("prefix", ["", "has space", "a{b}", "glob*"])
def test_state_prefix_must_be_plain(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    monkeypatch.setenv("LOCALFN_STATE_PREFIX", prefix)
    with pytest.raises(ValidationError, match=r"LOCALFN_STATE_PREFIX|prefix"):
        Settings()


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("LOCALFN_SUMMARIZE__CHUNK_TOKENS", "2000", lambda s: s.summarize.chunk_tokens == 2000),
        ("LOCALFN_EXTRACT_PARAMETERS__MAX_SCHEMA_BYTES", "4096", lambda s: s.extract_parameters.max_schema_bytes == 4096),
        ("LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS", "Ana@x.org, bo", lambda s: s.analyze_photo.allowed_users == ("ana@x.org", "bo")),
        ("LOCALFN_GENERATE_BADGE__HISTORY_PATH", "/data/h.sqlite3", lambda s: s.generate_badge.history_path == Path("/data/h.sqlite3")),
        ("LOCALFN_ROUTE_QUERY__LOCAL_OUTPUT_USD_PER_MTOK", "0.3", lambda s: s.route_query.local_output_usd_per_mtok == 0.3),
    ],
)
def test_a_function_s_settings_are_nested_under_its_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, variable: str, value: str, read: Callable[[Settings], bool]
) -> None:
    monkeypatch.setenv(variable, value)
    assert read(Settings())
    assert not caplog.records  # a current name is not a deprecated one


def test_a_nested_setting_out_of_range_names_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_SUMMARIZE__PARALLEL_CHUNKS", "0")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert ("summarize", "parallel_chunks") in error_locations(caught.value)


def test_an_old_flat_name_is_still_read_and_logged_with_its_new_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LOCALFN_SUMMARIZE_PARALLEL_CHUNKS", "3")
    monkeypatch.setenv("LOCALFN_SUMMARIZE__CHUNK_TOKENS", "2000")  # merged with the old name's group
    monkeypatch.setenv("LOCALFN_ALLOWED_USERS", "Ana@x.org")
    settings = Settings()
    assert (settings.summarize.parallel_chunks, settings.summarize.chunk_tokens) == (3, 2000)
    assert settings.analyze_photo.allowed_users == ("ana@x.org",)
    warned = sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert warned == [
        "variable LOCALFN_ALLOWED_USERS is deprecated and read for one more release: rename it LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS",
        (
            "variable LOCALFN_SUMMARIZE_PARALLEL_CHUNKS is deprecated and read for one more release: "
            "rename it LOCALFN_SUMMARIZE__PARALLEL_CHUNKS"
        ),
    ]


def test_the_new_name_wins_over_the_old_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_ROUTE_MAX_QUERY_CHARS", "10")
    monkeypatch.setenv("LOCALFN_ROUTE_QUERY__MAX_QUERY_CHARS", "20")
    assert Settings().route_query.max_query_chars == 20


def test_an_old_name_with_a_bad_value_is_refused_at_its_new_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_ANALYZE_PHOTO_MAX_SIDE", "1")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert ("analyze_photo", "max_side") in error_locations(caught.value)


@pytest.mark.parametrize(("old", "new"), list(_FLAT_NAMES.items()))
def test_every_old_name_leads_to_a_real_field(old: str, new: tuple[str, str]) -> None:
    function, field = new
    group = Settings.model_fields[function].annotation
    assert isinstance(group, type) and issubclass(group, BaseModel)
    assert field in group.model_fields
    assert old not in Settings.model_fields  # the flat field itself is gone


def test_secret_files_fill_nested_fields(tmp_path: Path) -> None:
    # The chart's secretsDir mounts one file per key; nested names are files too.
    (tmp_path / "localfn_generate_badge__database_url").write_text("postgresql://u:pw@db/badges\n")
    (tmp_path / "localfn_cloud__url").write_text("https://api.example.com/v1")
    (tmp_path / "localfn_cloud__model").write_text("gpt-4o-mini")
    (tmp_path / "localfn_cloud__api_key").write_text("sk-secret")
    (tmp_path / "localfn_state_url").write_text("redis://cache:6379/0")
    settings = Settings.load(secrets_dir=tmp_path)
    assert settings.generate_badge.database_url is not None
    assert settings.generate_badge.database_url.get_secret_value() == "postgresql://u:pw@db/badges"
    assert settings.cloud.api_key is not None and settings.cloud.api_key.get_secret_value() == "sk-secret"
    assert settings.state_url is not None and settings.state_url.get_secret_value() == "redis://cache:6379/0"


def test_a_secret_file_under_its_old_name_is_read_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "localfn_database_url").write_text("postgresql://old")
    settings = Settings.load(secrets_dir=tmp_path)
    assert settings.generate_badge.database_url is not None
    assert settings.generate_badge.database_url.get_secret_value() == "postgresql://old"
    assert "rename it localfn_generate_badge__database_url" in caplog.text
    assert "postgresql://old" not in caplog.text  # the name is logged, never the value


def test_a_variable_wins_over_a_secret_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "localfn_generate_badge__database_url").write_text("postgresql://file")
    monkeypatch.setenv("LOCALFN_GENERATE_BADGE__DATABASE_URL", "postgresql://variable")
    url = Settings.load(secrets_dir=tmp_path).generate_badge.database_url
    assert url is not None and url.get_secret_value() == "postgresql://variable"
