"""analyze-photo: a food photo read into nutrition JSON by a vision model; a prompt alone, answered as text.

Everything that can refuse a request does so before any model call, cheapest first: the
user allow-list (403), the photo (422/413, see ``photos``), then whether a vision model
that can see is served at all (503 naming what to pull). Photos arrive as JSON with
base64, as a binary-mode CloudEvent whose body is the image, or as the Kafka messages
of the earlier photo processor.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Hashable
from typing import Any

from localfn.capability import Capability
from localfn.engine.base import ChatResult, Message
from localfn.errors import BadRequest, Forbidden
from localfn.events import IncomingEvent, request_type, response_type
from localfn.functions.analyze_photo.models import (
    DISH_MAX_CHARS,
    INGREDIENT_MAX_CHARS,
    NOTES_MAX_CHARS,
    AnalyzePhotoRequest,
    AnalyzePhotoResponse,
    MealReading,
    NutritionResponse,
    Range,
    TextResponse,
)
from localfn.functions.analyze_photo.photos import Photo, PhotoLimits, read_photo
from localfn.prompts import Prompt, load_prompts
from localfn.runtime import Runtime
from localfn.sentences import cut_string, reply_text
from localfn.structured import Structured  # loaded with the function (the validator), not on its first request

__all__ = ["KAFKA_EVENT", "TEXT_REPLY", "AnalyzePhoto"]

KAFKA_EVENT = "dev.knative.kafka.event"  # what a KafkaSource sends
TEXT_REPLY = "io.localfn.generate.response"  # the earlier processor's reply type for text answers
# Generation caps: a runaway model stops here instead of filling its context.
_READING_TOKENS = 1024
_TEXT_TOKENS = 1024


class AnalyzePhoto(Capability[AnalyzePhotoRequest, AnalyzePhotoResponse]):
    name = "analyze-photo"
    summary = "Read a food photo into nutrition JSON with a vision model; a prompt alone gets a text answer."
    request_model = AnalyzePhotoRequest
    response_model = AnalyzePhotoResponse
    max_body_bytes = 16 << 20  # base64 of a 10 MB photo, plus the rest of the request

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._prompts: dict[str, Prompt] = load_prompts("localfn.functions.analyze_photo")
        settings = runtime.settings
        self._limits = PhotoLimits(settings.analyze_photo.max_bytes, settings.analyze_photo.max_pixels, settings.analyze_photo.max_side)

    async def run(self, request: AnalyzePhotoRequest) -> AnalyzePhotoResponse:
        self._check_user(request.user)
        if request.photo is None:
            return AnalyzePhotoResponse(await self._answer(request.prompt or ""))
        # Decoding and scaling take CPU time in the tens of milliseconds: off the event loop.
        photo = await asyncio.to_thread(read_photo, request.photo, self._limits)
        await self.runtime.pool.check_vision()
        return AnalyzePhotoResponse(await self._read(photo, request.prompt))

    async def _read(self, photo: Photo, prompt: str | None) -> NutritionResponse:
        note = f"\nThe user adds: {prompt.strip()}" if prompt and prompt.strip() else ""
        system, user = self._prompts["meal"].render(note=note)
        messages = (system, Message("user", user.content, images=(photo.jpeg,)))
        request = self.runtime.chat_request(messages, max_tokens=_READING_TOKENS)
        reading: Structured[MealReading] = await self.runtime.structured(request, MealReading)
        return _nutrition(reading.value, reading.last)

    async def _answer(self, prompt: str) -> TextResponse:
        system, user = self._prompts["text"].render(prompt=prompt)
        result = await self.runtime.pool.chat(self.runtime.chat_request((system, user), max_tokens=_TEXT_TOKENS))
        return TextResponse(response=reply_text(result), model=result.model, backend=result.backend)

    def _check_user(self, user: str | None) -> None:
        allowed = self.runtime.settings.analyze_photo.allowed_users
        if not allowed:
            return
        if not user or user.strip().casefold() not in allowed:
            who = f"user {user.strip()!r} is" if user and user.strip() else "requests without a 'user' are"
            raise Forbidden(f"{who} not allowed to use {self.name} (LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS)")

    def cache_key(self, request: AnalyzePhotoRequest) -> Hashable:
        # A photo is megabytes of base64: key on a digest of the request, never on its text.
        payload = json.dumps(request.model_dump(mode="json"), sort_keys=True).encode()
        return (self.name, hashlib.sha256(payload).hexdigest(), self.runtime.pool.models(vision=True))

    @classmethod
    def event_types(cls) -> tuple[str, ...]:
        return (request_type(cls.name), KAFKA_EVENT)

    @classmethod
    def request_from_event(cls, event: IncomingEvent) -> Any:
        if event.type == KAFKA_EVENT:
            return _kafka_request(event.data)
        if isinstance(event.data, bytes):
            content_type = (event.datacontenttype or "").split(";")[0].strip().lower()
            if not content_type.startswith("image/"):
                raise BadRequest(
                    f"binary event data of type {content_type or '(none)'!r} is not a photo: "
                    "send datacontenttype image/jpeg, image/png or image/webp, or JSON"
                )
            return {"photo": base64.b64encode(event.data).decode("ascii")}
        return super().request_from_event(event)

    @classmethod
    def reply_type(cls, event_type: str, data: dict[str, Any]) -> str:
        return TEXT_REPLY if "response" in data else response_type(cls.name)


def _kafka_request(data: Any) -> dict[str, Any]:
    """The request in a Kafka message of the earlier photo processor: ``{"user_email", "prompt", "photo"}``."""
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise BadRequest('a Kafka event\'s data must be the JSON message {"user_email", "prompt", "photo"}')
    # That processor sent text requests with an empty photo; here no photo means a text request.
    fields = {"photo": data.get("photo") or None, "prompt": data.get("prompt"), "user": data.get("user_email")}
    return {key: value for key, value in fields.items() if value is not None}


def _nutrition(reading: MealReading, result: ChatResult) -> NutritionResponse:
    return NutritionResponse(
        dish_name=cut_string(reading.dish_name, DISH_MAX_CHARS),
        ingredients=[cut_string(ingredient, INGREDIENT_MAX_CHARS) for ingredient in reading.ingredients],
        total_avg_weight=reading.total_avg_weight,
        total_weight_range=_holding(reading.total_weight_range, reading.total_avg_weight),
        estimated_avg_calories=reading.estimated_avg_calories,
        calories_range=_holding(reading.calories_range, reading.estimated_avg_calories),
        contains=reading.contains,
        confidence=reading.confidence_percent / 100,
        notes=cut_string(reading.notes, NOTES_MAX_CHARS),
        model=result.model,
        backend=result.backend,
    )


def _holding(estimate: Range, average: int) -> Range:
    """The model's range put in order and widened to hold its own average, which models sometimes leave out."""
    return Range(low=min(estimate.low, estimate.high, average), high=max(estimate.low, estimate.high, average))
