"""analyze-photo's request and responses, and the reading asked of the vision model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

__all__ = [
    "DISH_MAX_CHARS",
    "INGREDIENT_MAX_CHARS",
    "NOTES_MAX_CHARS",
    "AnalyzePhotoRequest",
    "AnalyzePhotoResponse",
    "Macros",
    "MealReading",
    "NutritionResponse",
    "Range",
    "TextResponse",
]


class AnalyzePhotoRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"photo": "/9j/4AAQSkZJRgABAQ...", "prompt": "It is a half portion.", "user": "ana@example.org"},
                {"prompt": "How much protein does an egg have?", "user": "ana@example.org"},
            ]
        },
    )

    photo: str | None = Field(
        default=None,
        description="The photo: base64 of a JPEG, PNG or WebP file (a data: URL too). Without it, the prompt is a text request.",
    )
    prompt: str | None = Field(default=None, max_length=4000, description="What to ask, or what to add about the photo.")
    user: str | None = Field(default=None, max_length=320, description="Who asks; checked against LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS.")

    @model_validator(mode="after")
    def _photo_or_prompt(self) -> AnalyzePhotoRequest:
        if self.photo is None and not (self.prompt or "").strip():
            raise ValueError("send a photo, a prompt, or both")
        return self


class Range(BaseModel):
    low: int = Field(ge=0, le=100_000)
    high: int = Field(ge=0, le=100_000)


class Macros(BaseModel):
    protein: int = Field(ge=0, le=10_000, description="grams of protein")
    carbs: int = Field(ge=0, le=10_000, description="grams of carbohydrate")
    fat: int = Field(ge=0, le=10_000, description="grams of fat")


# maxLengths of the reading's strings: decoding closes a string there, maybe mid-word.
DISH_MAX_CHARS = 120
INGREDIENT_MAX_CHARS = 80
NOTES_MAX_CHARS = 600


class MealReading(BaseModel):
    """What the vision model is asked for. Whole grams and kcal, and confidence in percent: engines
    that constrain decoding enforce integer ranges, not ranges of decimals."""

    dish_name: str = Field(max_length=DISH_MAX_CHARS)
    ingredients: list[Annotated[str, Field(max_length=INGREDIENT_MAX_CHARS)]] = Field(max_length=30)
    total_avg_weight: int = Field(ge=0, le=100_000, description="grams of food in the photo")
    total_weight_range: Range = Field(description="grams: the true weight very likely lies within")
    estimated_avg_calories: int = Field(ge=0, le=100_000, description="kcal")
    calories_range: Range = Field(description="kcal: the true energy very likely lies within")
    contains: Macros
    confidence_percent: int = Field(ge=0, le=100, description="how sure the estimate is; low for unclear photos or no food")
    notes: str = Field(max_length=NOTES_MAX_CHARS, description="what limits the estimate, or that there is no food")


class NutritionResponse(BaseModel):
    dish_name: str
    ingredients: list[str]
    total_avg_weight: int = Field(description="Estimated grams of food.")
    total_weight_range: Range = Field(description="Low and high estimate of the weight, grams; holds the average.")
    estimated_avg_calories: int = Field(description="Estimated energy, kcal.")
    calories_range: Range = Field(description="Low and high estimate of the energy, kcal; holds the average.")
    contains: Macros = Field(description="Protein, carbohydrate and fat, grams.")
    confidence: float = Field(ge=0, le=1, description="How sure the model is, 0 to 1.")
    notes: str
    model: str
    backend: str


class TextResponse(BaseModel):
    response: str = Field(description="The text model's answer to a prompt sent without a photo.")
    model: str
    backend: str


class AnalyzePhotoResponse(RootModel[NutritionResponse | TextResponse]):
    """Nutrition fields for a photo; ``response`` for a prompt alone."""
