"""Every request in examples/ (the README's quick start points at them), sent as the README does,
by the `localfn` command to a real `localfn serve` whose engine is SmolLM2-135M-Instruct, the
laptop's embedded model: the answers must make sense, or, for the photo, say what is missing."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from localfn.engine.embedded import LlamaServer
from localfn.events import request_type, response_type
from tests.support.openbadges import assert_valid_badge
from tests.support.processes import BIN, clean_env, start_serve

pytestmark = [pytest.mark.smollm2, pytest.mark.timeout(600)]  # a badge takes SmolLM2 minutes on shared cores

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def serve_env(smollm2_server: LlamaServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a running `localfn serve` on SmolLM2, for the `localfn` command."""
    home = tmp_path_factory.mktemp("home")
    env = clean_env(home)
    env.update(
        {
            "LOCALFN_ENGINES": json.dumps([smollm2_server.backend().model_dump(mode="json")]),
            "LOCALFN_EMBEDDED": "never",
            "LOCALFN_REQUEST_TIMEOUT_S": "500",
        }
    )
    serve = start_serve(env, home / "serve.log")
    try:
        yield env
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def localfn(env: dict[str, str], *args: str) -> tuple[int, Any]:
    """Run `localfn ARGS` from the repository's root, as the README does; its exit status and printed JSON."""
    done = subprocess.run([str(BIN / "localfn"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=560, check=False)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / f"{name}.json").read_text())


def check_summarize(status: int, body: dict[str, Any]) -> None:
    assert status == 0, body
    budget = example("summarize")["max_summary_tokens"]
    assert body["compressed"] is True and body["tokens_after"] <= budget < body["tokens_before"], body
    words = ("photosynthesis", "plant", "chlorophyll", "light", "leaf", "leaves", "glucose", "oxygen")
    assert sum(word in body["summary"].lower() for word in words) >= 2, body["summary"]


def check_badge(status: int, body: dict[str, Any]) -> None:
    assert status == 0, body
    assert_valid_badge(body)
    assert any(word in body["achievement"]["name"].lower() for word in ("python", "program", "coding", "code")), body["achievement"]


def check_extract(status: int, body: dict[str, Any]) -> None:
    assert status == 0, body
    assert body["function"] == "get_current_weather"
    assert "lisbon" in body["arguments"]["location"].lower()


def check_photo(status: int, body: dict[str, Any]) -> None:
    """Laptop mode has no vision model: a 503 that says what to configure and pull."""
    assert status == 1, body
    assert body["status"] == 503 and "set vision_model in LOCALFN_ENGINES" in body["detail"], body
    photo = Image.open(io.BytesIO(base64.b64decode(example("analyze-photo")["photo"], validate=True)))
    assert photo.format == "JPEG"


def check_photo_text(status: int, body: dict[str, Any]) -> None:
    """A prompt without a photo is answered by the text model, which laptop mode has."""
    assert status == 0, body
    assert "protein" in body["response"].lower() or "gram" in body["response"].lower(), body


def check_route(status: int, body: dict[str, Any]) -> None:
    assert status == 0, body
    assert (body["tier"], body["path"]) == ("simple", "local")
    assert "password" in body["answer"].lower(), body["answer"]


# Each example: the function it is sent to, and what its answer must be.
CHECKS: dict[str, tuple[str, Callable[[int, dict[str, Any]], None]]] = {
    "summarize": ("summarize", check_summarize),
    "generate-badge": ("generate-badge", check_badge),
    "extract-parameters": ("extract-parameters", check_extract),
    "analyze-photo": ("analyze-photo", check_photo),
    "analyze-photo-text": ("analyze-photo", check_photo_text),
    "route-query": ("route-query", check_route),
}


def test_every_example_is_checked_here() -> None:
    assert sorted(CHECKS) == EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_invoke_an_example(name: str, serve_env: dict[str, str]) -> None:
    function, check = CHECKS[name]
    check(*localfn(serve_env, "invoke", function, "--data", f"@examples/{name}.json"))


def test_send_the_summarize_example_as_an_event(serve_env: dict[str, str]) -> None:
    status, reply = localfn(serve_env, "send-event", "--type", request_type("summarize"), "--data", "@examples/summarize.json")
    assert reply["type"] == response_type("summarize")
    check_summarize(status, reply["data"])
