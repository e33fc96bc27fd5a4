"""AnalyzePhoto on a scripted engine: events in (JSON, binary image, Kafka), replies out, users, ranges."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError

from localfn.errors import BadRequest, Forbidden
from localfn.events import IncomingEvent
from localfn.functions.analyze_photo.capability import KAFKA_EVENT, TEXT_REPLY, AnalyzePhoto
from localfn.functions.analyze_photo.models import DISH_MAX_CHARS, NOTES_MAX_CHARS, AnalyzePhotoRequest
from localfn.runtime import Runtime
from localfn.settings import Settings
from tests.support.scripted_engine import ScriptedEngine, run_capability

READING = {
    "dish_name": "Omelette",
    "ingredients": ["egg", "chives"],
    "total_avg_weight": 150,
    "total_weight_range": {"low": 170, "high": 120},
    "estimated_avg_calories": 220,
    "calories_range": {"low": 180, "high": 200},
    "contains": {"protein": 13, "carbs": 1, "fat": 17},
    "confidence_percent": 70,
    "notes": "Oil not visible.",
}


def jpeg(size: tuple[int, int] = (1600, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def event(data: Any, *, type: str = "io.localfn.analyze-photo.request", content_type: str | None = "application/json") -> IncomingEvent:
    return IncomingEvent(id="e1", source="/test", type=type, subject=None, datacontenttype=content_type, data=data, structured=False)


async def run(engine: ScriptedEngine, request: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return await run_capability(AnalyzePhoto, engine, request, Settings(**settings))


async def test_a_photo_goes_to_the_vision_model_as_a_downscaled_jpeg() -> None:
    engine = ScriptedEngine("gpu", [json.dumps(READING)], vision_model="eyes")
    body = await run(engine, {"photo": base64.b64encode(jpeg()).decode(), "prompt": "half portion"})

    (image,) = engine.requests[0].messages[-1].images
    assert Image.open(io.BytesIO(image)).size == (1024, 768)
    assert "The user adds: half portion" in engine.requests[0].messages[-1].content
    assert body["dish_name"] == "Omelette" and body["confidence"] == 0.7
    assert body["total_weight_range"] == {"low": 120, "high": 170}  # put in order
    assert body["calories_range"] == {"low": 180, "high": 220}  # widened to hold the average
    assert (body["model"], body["backend"]) == ("eyes", "gpu")


async def test_a_prompt_without_a_photo_is_answered_as_text() -> None:
    engine = ScriptedEngine("gpu", ["  An egg has about 6 g of protein.  "], vision_model="eyes")
    body = await run(engine, {"prompt": "Protein in an egg?"})
    assert body == {"response": "An egg has about 6 g of protein.", "model": "text-model", "backend": "gpu"}
    assert not engine.requests[0].has_images


async def test_reading_texts_closed_at_their_max_length_are_cut_at_a_sentence_or_word_end() -> None:
    note = "Portion size is hard to judge from above."
    notes = ((note + " ") * 20)[:NOTES_MAX_CHARS]  # a looping model, closed mid-word by the schema
    dish = ("Omelette with chives and cheese " * 5)[:DISH_MAX_CHARS]
    engine = ScriptedEngine("gpu", [json.dumps(READING | {"notes": notes, "dish_name": dish})], vision_model="eyes")
    body = await run(engine, {"photo": base64.b64encode(jpeg((64, 64))).decode()})
    assert body["notes"] == note
    assert body["dish_name"] == dish.rsplit(" ", 1)[0]  # its last word may be unfinished: it goes
    assert engine.requests[0].repeat_penalty == Settings().repeat_penalty


async def test_a_text_answer_stopped_at_its_token_limit_ends_at_its_last_sentence() -> None:
    engine = ScriptedEngine("gpu", vision_model="eyes")
    engine.script.append(replace(engine.result("An egg has about 6 g of protein. The white holds mo"), finish_reason="length"))
    body = await run(engine, {"prompt": "Protein in an egg?"})
    assert body["response"] == "An egg has about 6 g of protein."


@pytest.mark.parametrize("user", ["intruder@example.org", None, "  "])
async def test_users_off_the_allow_list_get_403_without_a_model_call(user: str | None) -> None:
    engine = ScriptedEngine("gpu", vision_model="eyes")
    with pytest.raises(Forbidden):
        await run(engine, {"prompt": "hi", "user": user}, analyze_photo={"allowed_users": "ana@example.org,bo@example.org"})
    assert engine.requests == []


async def test_listed_users_are_matched_ignoring_case_and_spaces() -> None:
    engine = ScriptedEngine("gpu", ["hello"])
    body = await run(engine, {"prompt": "hi", "user": " Ana@Example.org"}, analyze_photo={"allowed_users": "ana@example.org"})
    assert body["response"] == "hello"


def test_a_request_needs_a_photo_or_a_prompt() -> None:
    with pytest.raises(ValidationError, match="send a photo, a prompt, or both"):
        AnalyzePhotoRequest.model_validate({"user": "ana@example.org", "prompt": " "})


async def test_the_cache_key_holds_a_digest_not_the_photo() -> None:
    photo = base64.b64encode(jpeg()).decode()
    runtime = Runtime(Settings(), engines=[ScriptedEngine("gpu")])
    capability = AnalyzePhoto(runtime)
    key = capability.cache_key(AnalyzePhotoRequest(photo=photo))
    await runtime.aclose()
    assert photo not in repr(key) and len(repr(key)) < 300
    assert key != capability.cache_key(AnalyzePhotoRequest(photo=photo, user="someone"))


# Events


def test_json_events_carry_the_request() -> None:
    assert AnalyzePhoto.request_from_event(event({"prompt": "hi"})) == {"prompt": "hi"}


def test_a_binary_mode_image_event_carries_the_photo() -> None:
    raw = jpeg((10, 10))
    request = AnalyzePhoto.request_from_event(event(raw, content_type="image/jpeg"))
    assert base64.b64decode(request["photo"]) == raw


def test_binary_data_that_is_not_declared_an_image_is_400() -> None:
    with pytest.raises(BadRequest, match="image/jpeg, image/png or image/webp"):
        AnalyzePhoto.request_from_event(event(b"\x00\x01", content_type="application/octet-stream"))


@pytest.mark.parametrize(
    "data",
    [
        {"user_email": "ana@example.org", "prompt": "lunch", "photo": "aGk="},
        json.dumps({"user_email": "ana@example.org", "prompt": "lunch", "photo": "aGk="}).encode(),
    ],
)
def test_kafka_messages_of_the_earlier_processor_are_mapped(data: Any) -> None:
    assert AnalyzePhoto.request_from_event(event(data, type=KAFKA_EVENT)) == {"photo": "aGk=", "prompt": "lunch", "user": "ana@example.org"}


def test_a_kafka_message_with_an_empty_photo_is_a_text_request() -> None:
    request = AnalyzePhoto.request_from_event(event({"user_email": "a@b.c", "prompt": "hi", "photo": ""}, type=KAFKA_EVENT))
    assert request == {"prompt": "hi", "user": "a@b.c"}


@pytest.mark.parametrize("data", [b"not json", ["a", "list"], None])
def test_a_kafka_event_that_is_not_such_a_message_is_400(data: Any) -> None:
    with pytest.raises(BadRequest, match="user_email"):
        AnalyzePhoto.request_from_event(event(data, type=KAFKA_EVENT))


def test_reply_types_say_photo_or_text() -> None:
    assert AnalyzePhoto.event_types() == ("io.localfn.analyze-photo.request", KAFKA_EVENT)
    assert AnalyzePhoto.reply_type(KAFKA_EVENT, {"dish_name": "x"}) == "io.localfn.analyze-photo.response"
    assert AnalyzePhoto.reply_type(KAFKA_EVENT, {"response": "x"}) == TEXT_REPLY == "io.localfn.generate.response"
    assert AnalyzePhoto.reply_type("io.localfn.analyze-photo.request", {"response": "x"}) == TEXT_REPLY


def test_the_allow_list_is_read_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS", " Ana@Example.org, bo@example.org ,,")
    assert Settings().analyze_photo.allowed_users == ("ana@example.org", "bo@example.org")
    monkeypatch.setenv("LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS", "")
    assert Settings().analyze_photo.allowed_users == ()
