"""OllamaEngine reads its NDJSON stream line by line, wherever the network cuts the bytes.

The reply comes through httpx's MockTransport in the parts each case gives: a TCP read can end
inside a line, inside a UTF-8 character, or between a line's '\\r' and '\\n'.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.ollama import OllamaEngine
from localfn.errors import EngineUnavailable
from tests.support.localfn_app import backend

REQUEST = ChatRequest(messages=(Message("user", "Name a French pastry."),))


def ndjson(*chunks: dict[str, object], newline: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(chunk, ensure_ascii=False).encode() + newline for chunk in chunks)


REPLY = ndjson(
    {"model": "tiny:latest", "message": {"role": "assistant", "content": "Un café "}, "done": False},
    {"model": "tiny:latest", "message": {"role": "assistant", "content": "crème."}, "done": False},
    {"model": "tiny:latest", "message": {"role": "assistant", "content": ""}, "done": True, "eval_count": 2, "prompt_eval_count": 7},
)


class Parts(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._parts:
            yield part


async def chat(parts: list[bytes]) -> str:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/x-ndjson"}, stream=Parts(parts))

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        engine = OllamaEngine(backend("gpu", "http://ollama.invalid:11434", "tiny", kind="ollama"), client)
        result = await engine.chat(REQUEST)
    assert (result.prompt_tokens, result.completion_tokens) == (7, 2)
    return result.content


def split_at(data: bytes, *offsets: int) -> list[bytes]:
    bounds = [0, *offsets, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


async def test_whole_lines_in_one_part() -> None:
    assert await chat([REPLY]) == "Un café crème."


async def test_a_part_ending_inside_a_line_or_inside_a_character() -> None:
    inside_e_acute = REPLY.index("é".encode()) + 1  # between the two bytes of "é"
    parts = split_at(REPLY, 5, inside_e_acute, REPLY.index(b"\n") + 3)
    assert b"\xc3" in parts[1][-1:]
    assert await chat(parts) == "Un café crème."


async def test_byte_by_byte() -> None:
    assert await chat([REPLY[i : i + 1] for i in range(len(REPLY))]) == "Un café crème."


async def test_crlf_line_ends_and_no_newline_after_the_last_line() -> None:
    reply = ndjson(*(json.loads(line) for line in REPLY.splitlines()), newline=b"\r\n").removesuffix(b"\r\n")
    assert await chat(split_at(reply, reply.index(b"\r") + 1)) == "Un café crème."


async def test_an_unreadable_line_is_named_in_the_error() -> None:
    with pytest.raises(EngineUnavailable, match="unreadable stream line 'not json'"):
        await chat([b"not json\n", REPLY])
