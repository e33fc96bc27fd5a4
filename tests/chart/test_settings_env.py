"""Every LOCALFN_* variable the chart renders is a real `Settings` field: pydantic-settings
ignores a variable it has no field for, so a misspelt name in a template would be a setting
silently left at its default. The check reads each variable as pydantic-settings does (its
environment source: prefix, case, the ``__`` delimiter) and follows what arrives through the
model's fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_settings import EnvSettingsSource

from localfn.settings import Settings
from tests.chart import objects, rendering

# Renders beyond the ci/ scenarios that add variables: inline credentials, an issuer, allowed users.
VARIANTS = {
    "inline-secrets": (
        "default",
        "functions.route-query.cloud.url=https://api.example.com/v1",
        "functions.route-query.cloud.model=m",
        "functions.route-query.cloud.apiKey=k",
        "functions.generate-badge.database.url=postgresql://u:p@db/badges",
    ),
    "issuer-deployment": ("default", "serving.mode=deployment", "functions.generate-badge.issuer.keys.existingSecret=keys"),
    "allowed-users": ("default", "functions.analyze-photo.allowedUsers={ana,bo}"),
}
PLACEHOLDER = "from-a-secret"  # what a valueFrom variable holds at run time does not change where it goes


def localfn_env(docs: list[objects.Doc]) -> dict[str, str]:
    """Every LOCALFN_* variable of every container (init containers too), with its value."""
    env: dict[str, str] = {}
    for workload in objects.workloads(docs):
        for container in objects.containers(objects.pod_template(workload)[1]):
            for var in container.get("env", []):
                if var["name"].upper().startswith("LOCALFN_"):
                    env[var["name"]] = var.get("value", PLACEHOLDER)
    return env


def _unknown_paths(values: dict[str, Any], model: type[BaseModel], where: str) -> list[str]:
    unknown = []
    for key, value in values.items():
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(f"{where}{key}")
        elif isinstance(value, dict):
            # A nested name: only a model has fields (no Settings field is a dict).
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                unknown += _unknown_paths(value, field.annotation, f"{where}{key}.")
            else:
                unknown += [f"{where}{key}.{inner}" for inner in value]
    return unknown


def not_settings(env: dict[str, str]) -> dict[str, str]:
    """The variables of ``env`` that reach no Settings field, each with why."""
    problems = {}
    for name, value in env.items():
        source = EnvSettingsSource(Settings)
        # The source's own parsing of exactly this variable, as if it were the whole environment.
        source.env_vars = {name if source.case_sensitive else name.lower(): value}
        arrived = source()
        unknown = _unknown_paths(arrived, Settings, "")
        if not arrived:
            problems[name] = "no Settings field has this name"
        elif unknown:
            problems[name] = f"no field {', '.join(unknown)}"
    return problems


def rendered(name: str) -> list[objects.Doc]:
    scenario, *sets = VARIANTS.get(name, (name,))
    return rendering.render_scenario(scenario, *sets)


@pytest.mark.parametrize("name", [*rendering.scenarios(), *VARIANTS])
def test_every_localfn_variable_the_chart_renders_is_a_settings_field(helm: str, name: str) -> None:
    env = localfn_env(rendered(name))
    assert "LOCALFN_ENGINES" in env  # the collection found the functions' variables
    assert not not_settings(env)


def test_the_variants_render_the_variables_they_exist_for(helm: str) -> None:
    names = {var for name in VARIANTS for var in localfn_env(rendered(name))}
    wanted = {"LOCALFN_CLOUD__API_KEY", "LOCALFN_GENERATE_BADGE__DATABASE_URL", "LOCALFN_ISSUER__KEYS_FILE"}
    assert wanted | {"LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS"} <= names


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("LOCALFN_SUMMARIZE__CHUNK_TOKEN", "no field summarize.chunk_token"),  # one letter short
        ("LOCALFN_SUMMARIZE_CHUNK_TOKENS", "no Settings field"),  # 0.x's flat name: read, but not a field
        ("LOCALFN_MAX_INFLIGHT", "no Settings field"),
        ("LOCALFN_CLOUD__URL__X", "no field cloud.url.x"),  # a URL has no fields
    ],
)
def test_a_misspelt_variable_in_a_values_override_is_caught(helm: str, name: str, why: str) -> None:
    docs = rendering.render_scenario("default", f"functions.summarize.overrides.env.{name}=100")
    problems = not_settings(localfn_env(docs))
    assert list(problems) == [name]
    assert why in problems[name]


def test_nested_and_case_insensitive_names_are_fields() -> None:
    assert not not_settings({"LOCALFN_ROUTE_QUERY__MAX_QUERY_CHARS": "1", "localfn_issuer__proof": "jwt", "LOCALFN_PORT": "1"})
