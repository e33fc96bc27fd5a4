"""analyze-photo over HTTP and CloudEvents, through OllamaPeer (Ollama's API, checked against its spec)
in front of a real llama-server with the tiny model. The tiny model cannot see and writes nonsense,
so these tests check the wire: what reaches Ollama, what comes back, and what never gets that far."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent
from PIL import Image

from localfn.functions.analyze_photo.models import NutritionResponse
from localfn.settings import Settings
from tests.support.images import png_declaring
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer

FUNCTION = ["analyze-photo"]


def settings_for(url: str, vision_model: str | None = "eyes", **overrides: Any) -> Settings:
    return make_settings(backend("gpu", url, "tiny", kind="ollama", vision_model=vision_model), cache_ttl_s=0, **overrides)


def image_bytes(size: tuple[int, int], fmt: str = "PNG", **options: Any) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste("green", (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def model_calls(peer: OllamaPeer) -> list[str]:
    return [path for path, _ in peer.requests if path in ("/api/chat", "/api/generate", "/api/show")]


def sent_images(peer: OllamaPeer) -> list[Image.Image]:
    images: list[Image.Image] = []
    for encoded in peer.images:
        image = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        image.load()
        images.append(image)
    return images


async def test_a_photo_reaches_ollama_as_base64_of_the_downscaled_jpeg(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": b64(image_bytes((2000, 1500))), "prompt": "lunch"})

    assert response.status_code == 200, response.text
    body = NutritionResponse.model_validate(response.json())
    assert (body.model, body.backend) == ("eyes", "gpu")
    assert body.total_weight_range.low <= body.total_avg_weight <= body.total_weight_range.high
    assert body.calories_range.low <= body.estimated_avg_calories <= body.calories_range.high
    assert 0 <= body.confidence <= 1
    (image,) = sent_images(fake)
    assert (image.format, image.size, image.mode) == ("JPEG", (1024, 768), "RGB")
    chat = next(body for path, body in fake.requests if path == "/api/chat")
    assert chat["model"] == "eyes" and chat["format"]["title"] == "MealReading"


async def test_the_long_side_setting_and_exif_orientation_reach_the_model(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    photo = image_bytes((1200, 800), "JPEG", exif=exif)
    async with serve_client(settings_for(url, analyze_photo={"max_side": 300}), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": b64(photo)})
    assert response.status_code == 200, response.text
    assert sent_images(fake)[0].size == (200, 300)


async def test_webp_is_accepted(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": b64(image_bytes((640, 480), "WEBP"))})
    assert response.status_code == 200, response.text
    assert sent_images(fake)[0].size == (640, 480)


async def test_the_vision_check_is_asked_once_per_process(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    photo = {"photo": b64(image_bytes((64, 64)))}
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        for prompt in ("one", "two"):
            assert (await client.post("/analyze-photo", json={**photo, "prompt": prompt})).status_code == 200
    assert model_calls(fake) == ["/api/show", "/api/chat", "/api/chat"]


async def test_a_vision_model_that_cannot_see_is_a_503_naming_it_and_what_to_pull(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    async with serve_client(settings_for(url, vision_model="tiny"), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": b64(image_bytes((64, 64)))})
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "urn:localfn:problem:model-not-found"
    assert "'tiny' cannot see images" in problem["detail"] and "ollama pull llava:7b" in problem["detail"]
    assert model_calls(fake) == ["/api/show"]


async def test_no_vision_model_configured_is_the_same_clear_503(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    async with serve_client(settings_for(url, vision_model=None), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": b64(image_bytes((64, 64)))})
    assert response.status_code == 503
    assert "vision_model" in response.json()["detail"] and "ollama pull llava:7b" in response.json()["detail"]
    assert model_calls(fake) == []


async def test_a_prompt_alone_is_answered_by_the_text_model(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"prompt": "How much protein is in an egg?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"response", "model", "backend"} and body["response"]
    assert body["model"] == "tiny"
    assert fake.images == []


async def test_users_off_the_allow_list_get_403_and_no_model_call(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    settings = settings_for(url, analyze_photo={"allowed_users": ("ana@example.org",)})
    async with serve_client(settings, FUNCTION) as (client, _):
        refused = await client.post("/analyze-photo", json={"photo": b64(image_bytes((64, 64))), "user": "eve@example.org"})
        anonymous = await client.post("/analyze-photo", json={"prompt": "hi"})
        assert model_calls(fake) == []
        allowed = await client.post("/analyze-photo", json={"prompt": "hi", "user": "ANA@example.org"})
    assert (refused.status_code, anonymous.status_code, allowed.status_code) == (403, 403, 200)
    assert refused.json()["type"] == "urn:localfn:problem:forbidden"


BAD_PHOTOS = {
    "not-an-image": (b64(b"just some text, not a picture"), 422, "not a JPEG, PNG or WebP"),
    "truncated": (b64(image_bytes((300, 200), "JPEG")[:400]), 422, "truncated or damaged"),
    "gif": (b64(image_bytes((32, 32), "GIF")), 422, "not a JPEG, PNG or WebP"),
    "bomb-20000x20000": (b64(png_declaring(20_000, 20_000)), 413, "too many pixels"),
    "empty": ("", 422, "empty"),
    "invalid-base64": ("%%% not base64 %%%", 422, "not valid base64"),
}


@pytest.mark.parametrize("case", list(BAD_PHOTOS))
async def test_bad_photos_are_refused_before_any_model_call(ollama_peer: tuple[OllamaPeer, str], case: str) -> None:
    fake, url = ollama_peer
    photo, status, detail = BAD_PHOTOS[case]
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        response = await client.post("/analyze-photo", json={"photo": photo})
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert model_calls(fake) == []


async def test_photo_and_body_limits_are_413(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    photo = b64(image_bytes((400, 300)))
    async with serve_client(settings_for(url, analyze_photo={"max_bytes": 1000}), FUNCTION) as (client, _):
        over_photo = await client.post("/analyze-photo", json={"photo": photo})
        over_body = await client.post("/analyze-photo", json={"photo": "A" * (16 << 20)})
    assert over_photo.status_code == 413 and "LOCALFN_ANALYZE_PHOTO__MAX_BYTES" in over_photo.json()["detail"]
    assert over_body.status_code == 413 and "LOCALFN_MAX_BODY_BYTES" in over_body.json()["detail"]
    assert model_calls(fake) == []


# CloudEvents


def reply_of(response: Any) -> tuple[str, dict[str, Any]]:
    event = from_http(dict(response.headers), response.content)
    data = event.get_data()
    assert isinstance(data, dict)
    return str(event["type"]), data


async def test_a_binary_mode_event_whose_body_is_the_image(ollama_peer: tuple[OllamaPeer, str]) -> None:
    fake, url = ollama_peer
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "photo-1",
        "ce-source": "/tests/camera",
        "ce-type": "io.localfn.analyze-photo.request",
        "content-type": "image/png",
    }
    async with serve_client(settings_for(url), FUNCTION) as (client, _):
        response = await client.post("/events", headers=headers, content=image_bytes((1500, 1000)))
    assert response.status_code == 200, response.text
    kind, data = reply_of(response)
    assert kind == "io.localfn.analyze-photo.response"
    NutritionResponse.model_validate(data)
    assert sent_images(fake)[0].size == (1024, 683)


@pytest.mark.parametrize("encode", [to_binary, to_structured], ids=["binary", "structured"])
async def test_kafka_events_of_the_earlier_processor(ollama_peer: tuple[OllamaPeer, str], encode: Any) -> None:
    fake, url = ollama_peer
    photo = {"user_email": "ana@example.org", "prompt": "dinner", "photo": b64(image_bytes((200, 100), "JPEG"))}
    text = {"user_email": "ana@example.org", "prompt": "What is a balanced dinner?", "photo": ""}
    async with serve_client(settings_for(url, analyze_photo={"allowed_users": ("ana@example.org",)}), FUNCTION) as (client, _):
        replies = []
        for number, message in enumerate((photo, text)):
            event = CloudEvent(
                {
                    "type": "dev.knative.kafka.event",
                    "source": "/apis/v1/namespaces/default/kafkasources/photos#meals",
                    "id": f"partition:0/offset:{number}",
                },
                message,
            )
            headers, body = encode(event)
            response = await client.post("/analyze-photo", headers=headers, content=body)
            assert response.status_code == 200, response.text
            replies.append(reply_of(response))
    (photo_type, photo_data), (text_type, text_data) = replies
    assert photo_type == "io.localfn.analyze-photo.response" and "dish_name" in photo_data
    assert text_type == "io.localfn.generate.response" and text_data["response"]
    assert len(fake.images) == 1
    assert json.loads(json.dumps(text_data))["model"] == "tiny"
