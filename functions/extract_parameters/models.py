"""extract-parameters' request and response, and the two replies asked of the model."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from localfn.functions.extract_parameters.grounding import Mode
from localfn.functions.extract_parameters.schemas import check_parameters
from localfn.functions.extract_parameters.temporal import Clock

__all__ = ["Call", "Choice", "ExtractParametersRequest", "ExtractParametersResponse", "FunctionSchema", "Ungrounded"]

_WEATHER: dict[str, Any] = {
    "name": "get_current_weather",
    "description": "Get the current weather for a location.",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "units": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"],
    },
}


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class FunctionSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="The function's name, as the caller will call it.")
    description: str = Field(default="", max_length=4000, description="What the function does; helps choose it.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema (2020-12) of the arguments: an object schema; $ref only into its own $defs.",
    )

    @field_validator("parameters")
    @classmethod
    def _is_a_usable_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_parameters(value)
        return value


class ExtractParametersRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"user_message": "What's the weather in Lisbon, in celsius?", "function_schema": _WEATHER},
                {"user_message": "Thanks, that's all!", "functions": [_WEATHER]},
                {
                    "user_message": "Will it rain in Porto tomorrow evening?",
                    "function_schema": _WEATHER,
                    "grounding": "lenient",
                    "reference_time": "2026-12-05T10:00:00",
                    "timezone": "Europe/Lisbon",
                },
            ]
        },
    )

    user_message: str = Field(max_length=20_000, description="What the user said.")
    function_schema: FunctionSchema | None = Field(default=None, description="The one function to fill in.")
    functions: list[FunctionSchema] | None = Field(
        default=None, min_length=1, max_length=128, description="Functions to choose from; the one that applies is filled in."
    )
    grounding: Mode = Field(
        default="strict",
        description="How argument values are checked against the message: strict drops every value the message does not "
        "support, lenient keeps those with weak evidence (flagged in 'ungrounded'), off returns what the model said.",
    )
    reference_time: datetime | None = Field(
        default=None,
        description="The moment relative dates are read from ('tomorrow', 'next Friday'); ISO 8601, in 'timezone' "
        "when it has no offset. Default: now.",
    )
    timezone: str = Field(
        default="UTC", max_length=64, description="IANA time zone of the message's dates and times, e.g. 'Europe/Lisbon'."
    )

    @field_validator("user_message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the user message is empty")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in _time_zones():  # ZoneInfo alone also opens folders ("Europe") and posix/ copies
            raise ValueError(f"unknown time zone {value!r}: give an IANA name such as 'Europe/Lisbon' or 'UTC'")
        return value

    @model_validator(mode="after")
    def _one_way_to_give_functions(self) -> ExtractParametersRequest:
        if (self.function_schema is None) == (self.functions is None):
            raise ValueError("send either 'function_schema' (one function) or 'functions' (a list), not both or neither")
        names = [function.name for function in self.candidates()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"function names must be unique; repeated: {', '.join(repeated)}")
        return self

    def candidates(self) -> list[FunctionSchema]:
        return [self.function_schema] if self.function_schema is not None else list(self.functions or [])

    def clock(self) -> Clock:
        """The reference time, in the request's time zone; a time without an offset is taken to be in it."""
        zone = ZoneInfo(self.timezone)
        moment = self.reference_time or datetime.now(zone)
        return Clock(moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone), self.timezone)


class Ungrounded(BaseModel):
    field: str = Field(description="Where the value sits in the arguments, e.g. 'amount' or 'passengers/adults'.")
    value: Any = Field(description="What the model said.")
    reason: str = Field(description="Why the message does not support it.")
    kept: bool = Field(description="True when it is kept in the arguments (weak evidence, grounding 'lenient'); else dropped.")


class ExtractParametersResponse(BaseModel):
    function: str | None = Field(description="The function the message calls for, or null when none applies.")
    arguments: dict[str, Any] = Field(
        description="Its arguments; valid against its parameters schema, apart from the required values listed as missing."
    )
    missing_required: list[str] = Field(
        description="Required values the message does not give (paths such as 'origin' or 'passengers/adults'); "
        "never invented, so absent from arguments."
    )
    no_call_reason: str | None = Field(description="Why no function applies, when function is null.")
    ungrounded: list[Ungrounded] = Field(
        default_factory=list,
        description="Values the model gave that the message does not support (see 'grounding'): dropped, so a required "
        "one is in missing_required, or kept and flagged.",
    )
    model: str
    backend: str


class Choice(BaseModel):
    """The model's pick among several functions."""

    function: str | None
    no_call_reason: str | None = None


class Call(Choice):
    """The model's call of one function; its arguments are checked against that function's schema."""

    arguments: dict[str, Any] = Field(default_factory=dict)
