"""generate-badge's requests and responses (the main route, regeneration and history)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from localfn.functions.generate_badge.openbadges import achievement_types, is_achievement_type, is_email, is_uri
from localfn.functions.generate_badge.vocabulary import BadgeLevel, BadgeStyle, BadgeTone, CriterionStyle, slug
from localfn.settings import Proof

__all__ = [
    "BadgeField",
    "BadgeInput",
    "BadgeOptions",
    "BadgePath",
    "ClearQuery",
    "ClearResult",
    "GenerateBadgeRequest",
    "GenerateBadgeResponse",
    "Generation",
    "HistoryItem",
    "HistoryPage",
    "HistoryQuery",
    "IconChoice",
    "ImageQuery",
    "Issuer",
    "Option",
    "RegenerateRequest",
    "SuggestedIcon",
    "VerifyCheck",
    "VerifyRequest",
    "VerifyResult",
]

# OB 3.0's pattern for Achievement.inLanguage (a BCP 47 subset).
_LANGUAGE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_WEB_URL = re.compile(r"^https?://[^\s/]+\S*$")

BadgeField = Literal["name", "description", "criteria", "skills", "image"]

# The models below serve the other routes (regenerate, history, image, options, verify, the
# DID document): each is built on its first use (pydantic's defer_build), not at import, so
# a cold start, which only POST / waits for, does not pay for them (bench/perf cold_start).
_ROUTE_ONLY = ConfigDict(defer_build=True)


def _language_tag(value: object) -> object:
    """'EN', 'pt_br' and 'zh-hant-tw' become 'en', 'pt-BR', 'zh-Hant-TW': the casing the OB 3.0 pattern wants."""
    if not isinstance(value, str):
        return value
    first, *rest = value.strip().replace("_", "-").split("-")
    tag = "-".join([first.lower(), *(part.title() if len(part) == 4 else part.upper() for part in rest)])
    if not _LANGUAGE.match(tag):
        raise ValueError(f"{value!r} is not a language tag; use one such as 'en', 'fr' or 'pt-BR'")
    return tag


Language = Annotated[str, BeforeValidator(_language_tag)]


class Issuer(BaseModel):
    """Who issues the badge: becomes the OB 3.0 issuer Profile (and the Achievement's creator)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="A URI naming the issuer: a URL, a DID or a URN.")
    name: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, description="The issuer's web site (http or https).")

    @field_validator("id")
    @classmethod
    def _id_is_a_uri(cls, value: str) -> str:
        if not is_uri(value.strip()):
            raise ValueError("must be a URI such as https://example.edu or did:web:example.edu")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _url_is_web(cls, value: str | None) -> str | None:
        if value is not None and not _WEB_URL.match(value.strip()):
            raise ValueError("must be an http or https URL")
        return value.strip() if value is not None else None

    def profile(self) -> dict[str, Any]:
        """As an OB 3.0 Profile (``type`` is an array, as the schema requires)."""
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url is not None:
            profile["url"] = self.url
        return profile


class BadgeInput(BaseModel):
    """What a badge is made from; every response repeats it, so a stored badge can be made again."""

    model_config = ConfigDict(extra="forbid")

    course_input: str = Field(
        description="The course's title and description (required; the limit is LOCALFN_GENERATE_BADGE__MAX_INPUT_CHARS)."
    )
    badge_style: Annotated[BadgeStyle, BeforeValidator(slug)] = Field(
        default="professional", description="Wording style; GET /generate-badge/options lists the choices."
    )
    badge_tone: Annotated[BadgeTone, BeforeValidator(slug)] = "encouraging"
    criterion_style: Annotated[CriterionStyle, BeforeValidator(slug)] = "evidence-based"
    badge_level: Annotated[BadgeLevel | None, BeforeValidator(slug)] = Field(
        default=None, description="Level of the course; none: not stated."
    )
    achievement_type: str | None = Field(
        default=None,
        description="An OB 3.0 achievementType; none: the model chooses one that fits the course and level.",
    )
    institution: str | None = Field(default=None, max_length=200, description="Shown on the badge image.")
    custom_instructions: str | None = Field(default=None, max_length=2000)
    language: Language = Field(default="en", description="Language of the badge's text, as a BCP 47 tag.")
    issuer: Issuer | None = Field(default=None, description="Required when a recipient is given.")

    @field_validator("course_input")
    @classmethod
    def _course_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("course_input is empty: send the course's title and description")
        return value.strip()

    @field_validator("achievement_type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and not is_achievement_type(value):
            raise ValueError(f"unknown achievementType {value!r}; use one of {', '.join(achievement_types())} or 'ext:Name'")
        return value

    @field_validator("institution", "custom_instructions")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()


class GenerateBadgeRequest(BadgeInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "course_input": "Introduction to Python Programming: variables, loops, functions and files.",
                    "badge_level": "beginner",
                    "issuer": {"id": "https://example.edu", "name": "Example University"},
                    "recipient": "ada@example.org",
                }
            ]
        },
    )

    recipient: str | None = Field(
        default=None,
        description="An email address (stored only as a salted hash) or a URI such as a DID; adds a credential.",
    )

    proof: Proof | None = Field(
        default=None,
        description="How the credential is signed: 'data-integrity' (embedded Ed25519 proof), 'jwt' (a VC-JWT, "
        "ES256, or RS256 per LOCALFN_ISSUER__JWT_ALG) or 'none'; default LOCALFN_ISSUER__PROOF. Only with a recipient.",
    )

    @field_validator("recipient")
    @classmethod
    def _email_or_uri(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not (is_email(value) or is_uri(value)):
            raise ValueError("must be an email address (ada@example.org) or a URI (did:example:123, https://...)")
        return value

    @model_validator(mode="after")
    def _credential_needs_an_issuer(self) -> GenerateBadgeRequest:
        if self.recipient is not None and self.issuer is None:
            raise ValueError("a credential for a recipient needs an issuer: send issuer {id, name}")
        if self.proof is not None and self.recipient is None:
            raise ValueError("proof signs a credential, made only for a recipient: send recipient too, or no proof")
        return self

    def badge_input(self) -> BadgeInput:
        return BadgeInput.model_validate(self.model_dump(exclude={"recipient", "proof"}))


class IconChoice(BaseModel):
    name: str
    file: str = Field(description="Path in the icon library, e.g. svg/code.svg.")
    score: float = Field(description="TF-IDF cosine similarity between the course and the icon's metadata.")


class SuggestedIcon(IconChoice):
    alternatives: list[IconChoice] = Field(description="The next two best icons.")


class Generation(BaseModel):
    seconds: float
    model: str | None = Field(description="Model that wrote the text; none when no model was called (image only).")
    backend: str | None
    prompt_tokens: int
    completion_tokens: int
    attempts: int = Field(description="Model calls, counting re-asks after a reply broke its schema or quality rules.")


class GenerateBadgeResponse(BaseModel):
    id: str = Field(description="This version's id: for /regenerate, /history/<id> and /image/<id>.")
    version: int = Field(description="1 for a new badge; each regeneration adds one.")
    parent_id: str | None = Field(description="The version this one was regenerated from.")
    created_at: datetime
    achievement: dict[str, Any] = Field(description="An Open Badges 3.0 Achievement, valid against 1EdTech's schema.")
    credential: dict[str, Any] | None = Field(
        description="The OpenBadgeCredential awarding the achievement, when a recipient was given: with its "
        "Data Integrity proof, unsigned, or (proof 'jwt') the payload of credential_jwt."
    )
    credential_jwt: str | None = Field(
        default=None, description="With proof 'jwt': the credential as issued, a VC-JWT (compact JWS, ES256 or RS256)."
    )
    skills: list[str]
    estimated_duration: str
    suggested_icon: SuggestedIcon
    input: BadgeInput
    generation: Generation


class RegenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    badge_id: str | None = Field(default=None, description="The id of a stored badge.")
    badge: GenerateBadgeResponse | None = Field(default=None, description="Or a full previous response.")
    field: BadgeField | None = Field(default=None, description="The one field to change; none: the whole badge.")
    instructions: str | None = Field(default=None, max_length=2000, description="What to change, in words.")

    @model_validator(mode="after")
    def _one_source(self) -> RegenerateRequest:
        if (self.badge_id is None) == (self.badge is None):
            raise ValueError("send either badge_id or badge (a full previous response), not both")
        return self


class HistoryItem(BaseModel):
    model_config = _ROUTE_ONLY

    id: str
    version: int
    parent_id: str | None
    created_at: datetime
    name: str
    course_excerpt: str


class HistoryPage(BaseModel):
    model_config = _ROUTE_ONLY

    items: list[HistoryItem] = Field(description="Newest first.")
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; none on the last one.")


class HistoryQuery(BaseModel):
    """Query parameters of GET /history."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class ClearQuery(BaseModel):
    """Query parameters of DELETE /history: deleting everything must be asked for explicitly."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    confirm: bool = Field(default=False, validate_default=True, description="Must be true.")

    @field_validator("confirm")
    @classmethod
    def _confirmed(cls, value: bool) -> bool:
        if not value:
            raise ValueError("add confirm=true to delete every stored badge")
        return value


class BadgePath(BaseModel):
    """Path parameters of /history/{badge_id} and /image/{badge_id}."""

    model_config = _ROUTE_ONLY

    badge_id: str = Field(description="The id of a stored badge version; GET /history lists them.")


class ImageQuery(BaseModel):
    """Query parameters of GET /image/{badge_id}.

    The format is a query parameter, not content negotiation: a plain link (``<img src>``, a
    download) can name it, and caches need no ``Vary: Accept``.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    format: Literal["svg", "png"] = Field(
        default="svg",
        description="svg: image/svg+xml; png: image/png, 400 x 400. A signed credential is baked into either.",
    )


class DidPath(BaseModel):
    """Path parameter of /{path}/did.json, where the issuer's did:web document is served."""

    model_config = _ROUTE_ONLY

    path: str = Field(
        description="'.well-known' for did:web:<domain>; the DID's path segments, '/'-separated, for did:web:<domain>:<path>."
    )


class VerificationMethod(BaseModel):
    """One published public key: Ed25519 as a Multikey, P-256 as a JsonWebKey (never a private part)."""

    model_config = _ROUTE_ONLY

    id: str = Field(description="<did>#<the key's multibase>: what a proof's verificationMethod or a JWT's kid names.")
    type: Literal["Multikey", "JsonWebKey"]
    controller: str = Field(description="The DID, which is the issuer id of the credentials the key signs.")
    publicKeyMultibase: str | None = None
    publicKeyJwk: dict[str, str] | None = None


class DidDocument(BaseModel):
    """The issuer's did:web DID document: every key of the keys file, each one usable for assertionMethod."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    context: list[str] = Field(alias="@context")
    id: str = Field(description="The did:web (LOCALFN_ISSUER__DID_WEB).")
    verificationMethod: list[VerificationMethod]
    assertionMethod: list[str]


class ClearResult(BaseModel):
    """The answer to DELETE /history."""

    model_config = _ROUTE_ONLY

    deleted: int = Field(description="How many stored badges were deleted.")


class Option(BaseModel):
    model_config = _ROUTE_ONLY

    value: str = Field(description="What a request sends.")
    meaning: str


class BadgeOptions(BaseModel):
    """The answer to GET /options: every value a request may use, with its meaning."""

    model_config = _ROUTE_ONLY

    badge_styles: list[Option]
    badge_tones: list[Option]
    criterion_styles: list[Option]
    badge_levels: list[Option]
    achievement_types: list[Option] = Field(description="Every Open Badges 3.0 achievementType.")


class VerifyRequest(BaseModel):
    """The JSON body of POST /verify (a baked image is sent as the body itself: image/svg+xml or image/png)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    credential: dict[str, Any] | str = Field(
        description="An OpenBadgeCredential as JSON (with its embedded proof), or a VC-JWT (compact JWS) as a string."
    )


class VerifyCheck(BaseModel):
    model_config = _ROUTE_ONLY

    name: Literal["baked", "key", "signature", "claims", "schema", "validity"] = Field(
        description="baked (images only): the image holds exactly one credential, the one verified; "
        "key: the verification method resolves (did:key offline; did:web from the document of a domain "
        "in LOCALFN_ISSUER__DID_WEB_ALLOW) and its controller is the issuer; "
        "signature: the proof holds; claims: a JWT's registered claims match the credential; "
        "schema: valid against OB 3.0's JSON Schema; validity: now is within validFrom and validUntil."
    )
    ok: bool
    detail: str = Field(description="What was checked, or why it failed.")


class VerifyResult(BaseModel):
    """The answer to POST /verify: valid only when every check passed."""

    model_config = _ROUTE_ONLY

    valid: bool
    proof: Proof = Field(description="The proof the credential carries ('none': unsigned, or no credential was read).")
    checks: list[VerifyCheck]
