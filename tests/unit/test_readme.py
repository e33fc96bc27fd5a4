"""The README's quick start works as written: each command in it is a `make` target or a `localfn`
command whose options parse, and each function, event type and file it names exists.
(tests/integration/test_examples.py runs the example files themselves.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from localfn.cli import main
from localfn.events import request_type
from localfn.functions import FUNCTIONS

ROOT = Path(__file__).parents[2]


def quick_start_commands(markdown: str) -> list[list[str]]:
    """The commands in the code blocks of the "## Quick start" section, split as a shell splits them."""
    section = markdown.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.S | re.M)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line.strip()]


COMMANDS = quick_start_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def check_localfn(args: list[str]) -> None:
    """Parse ``args`` as `localfn` would, without running the command; then check what the options name."""
    group = click.Context(main, info_name="localfn")
    name, *rest = args
    command = main.get_command(group, name)
    assert command is not None, f"no command localfn {name}"
    params = command.make_context(name, rest, parent=group).params
    data = params.get("data") or ""
    if data.startswith("@"):
        assert (ROOT / data[1:]).is_file(), f"--data {data}: no such file in the repository"
    if "function" in params:
        assert params["function"] in FUNCTIONS, f"no function {params['function']!r}"
    if "event_type" in params:
        assert params["event_type"] in {request_type(function) for function in FUNCTIONS}, f"no event type {params['event_type']!r}"


def test_the_quick_start_has_commands() -> None:
    assert len(COMMANDS) >= 4, COMMANDS  # make serve, invoke, send-event, doctor


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(args)[:60] for args in COMMANDS])
def test_a_quick_start_command_exists_with_its_options_and_files(args: list[str]) -> None:
    program, *rest = args
    if program == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M)
        assert rest and all(target in targets for target in rest), f"make {' '.join(rest)}: the Makefile has {targets}"
    elif program == ".venv/bin/localfn":
        try:
            check_localfn(rest)
        except click.UsageError as exc:
            pytest.fail(f"{' '.join(args)}: {exc.format_message()}")
    else:
        pytest.fail(f"{program}: the quick start runs `make` and `.venv/bin/localfn` only")
