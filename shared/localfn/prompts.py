"""Prompts as data: TOML files beside each capability, validated when loaded.

A prompt file holds ``version``, ``variables`` (the names it uses) and ``system`` and
``user`` texts with ``$name`` placeholders (``string.Template``, so JSON braces in a prompt
need no escaping). Loading checks that the texts use exactly the declared variables, so a
renamed placeholder fails at start-up, not in production traffic.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from string import Template

from pydantic import BaseModel, ConfigDict, model_validator

from localfn.engine.base import Message

__all__ = ["Prompt", "load_prompts"]


def _placeholders(text: str) -> set[str]:
    return {match.group("named") or match.group("braced") for match in Template.pattern.finditer(text)} - {None}


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int
    variables: tuple[str, ...]
    system: str
    user: str

    @model_validator(mode="after")
    def _uses_declared_variables(self) -> Prompt:
        for text in (self.system, self.user):
            stray = [m.group("invalid") for m in Template.pattern.finditer(text) if m.group("invalid") is not None]
            if stray:
                raise ValueError(f"prompt {self.name!r} has a '$' that is not a placeholder; write '$$' for a dollar sign")
        used = _placeholders(self.system) | _placeholders(self.user)
        if used != set(self.variables):
            raise ValueError(f"prompt {self.name!r} uses {sorted(used)} but declares {sorted(self.variables)}")
        return self

    def render(self, **values: object) -> tuple[Message, Message]:
        """The system and user messages, with every variable filled (a missing one raises KeyError)."""
        text = {key: str(value) for key, value in values.items()}
        return Message("system", Template(self.system).substitute(text)), Message("user", Template(self.user).substitute(text))


def load_prompts(package: str) -> dict[str, Prompt]:
    """Every ``prompts/*.toml`` of a capability package, by file stem."""
    folder = resources.files(package).joinpath("prompts")
    prompts = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            name = entry.name.removesuffix(".toml")
            prompts[name] = Prompt(name=name, **tomllib.loads(entry.read_text(encoding="utf-8")))
    return prompts
