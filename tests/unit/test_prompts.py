"""localfn.prompts: prompt files load, declare exactly what they use, and render."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from localfn.engine.base import Message
from localfn.prompts import Prompt, load_prompts

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def capability_packages() -> list[tuple[str, list[str]]]:
    """Import name and prompt file stems of every capability folder with a prompts/ folder."""
    found = []
    for prompts in sorted(FUNCTIONS.glob("*/prompts")):
        stems = sorted(p.stem for p in prompts.glob("*.toml"))
        found.append((f"localfn.functions.{prompts.parent.name}", stems))
    return found


PACKAGES = capability_packages()


def test_there_is_at_least_one_capability_with_prompts() -> None:
    assert PACKAGES


@pytest.mark.parametrize(("package", "stems"), PACKAGES, ids=[p for p, _ in PACKAGES])
def test_every_prompt_file_loads_and_renders(package: str, stems: list[str]) -> None:
    prompts = load_prompts(package)
    assert sorted(prompts) == stems
    for name, prompt in prompts.items():
        values = {variable: f"<{variable}>" for variable in prompt.variables}
        system, user = prompt.render(**values)
        assert (system.role, user.role) == ("system", "user")
        assert "$" not in system.content + user.content, f"{package}/{name} left a placeholder"
        for variable in prompt.variables:
            assert f"<{variable}>" in system.content + user.content


def prompt(**fields: object) -> Prompt:
    return Prompt(**{"name": "t", "version": 1, "variables": ["text"], "system": "Be brief.", "user": "$text", **fields})


def test_declaring_an_unused_variable_is_rejected() -> None:
    with pytest.raises(ValidationError, match="words"):
        prompt(variables=["text", "words"])


def test_using_an_undeclared_variable_is_rejected() -> None:
    with pytest.raises(ValidationError, match="focus"):
        prompt(system="Focus on $focus.")


def test_braced_placeholders_count_as_used() -> None:
    assert prompt(user="${text}!").render(text="hi")[1] == Message("user", "hi!")


def test_render_fills_variables_in_both_messages() -> None:
    p = prompt(variables=["text", "words"], system="At most $words words.", user="Text: $text")
    assert p.render(text="abc", words=12) == (Message("system", "At most 12 words."), Message("user", "Text: abc"))


def test_render_with_a_missing_variable_raises_key_error() -> None:
    with pytest.raises(KeyError):
        prompt().render()


def test_json_braces_and_escaped_dollars_need_no_escaping() -> None:
    p = prompt(system='Reply as {"summary": "..."} and keep $$5 prices.', user='{"text": "$text"}')
    system, user = p.render(text="hi")
    assert system.content == 'Reply as {"summary": "..."} and keep $5 prices.'
    assert user.content == '{"text": "hi"}'


def test_a_stray_dollar_fails_at_load_not_at_render() -> None:
    with pytest.raises(ValidationError):
        prompt(system="It costs $5.")
