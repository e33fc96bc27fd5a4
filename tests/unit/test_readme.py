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


def section_commands(markdown: str, title: str = "Quick start") -> list[list[str]]:
    """The commands in the code blocks of the "## <title>" section, split as a shell splits them."""
    section = markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.S | re.M)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line.strip()]


README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = section_commands(README)
OPERATE = section_commands(README, "Operate")


def check_localfn(args: list[str]) -> None:
    """Parse ``args`` as `localfn` would, without running the command; then check what the options name."""
    context = click.Context(main, info_name="localfn")
    command: click.Command = main
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):  # `models list ...`: the subcommand's own options
        name, *args = args
        found = command.get_command(context, name)
        assert found is not None, f"no command {context.command_path} {name}"
        command = found
        context = click.Context(command, info_name=name, parent=context)
    params = command.make_context(context.info_name, list(args), parent=context.parent).params
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


def test_the_operate_section_has_commands() -> None:
    assert {args[1] for args in OPERATE} == {"models", "status", "localfn"}, OPERATE  # localfn models/status ..., kubectl localfn ...


@pytest.mark.parametrize("args", OPERATE, ids=[" ".join(args)[:60] for args in OPERATE])
def test_an_operate_command_exists_with_its_options(args: list[str]) -> None:
    """`.venv/bin/localfn ...` and `kubectl localfn ...` (the kubectl-localfn plugin: the same commands)."""
    program, *rest = args
    assert program == ".venv/bin/localfn" or (program == "kubectl" and rest[0] == "localfn"), args
    try:
        check_localfn(rest if program == ".venv/bin/localfn" else rest[1:])
    except click.UsageError as exc:
        pytest.fail(f"{' '.join(args)}: {exc.format_message()}")
