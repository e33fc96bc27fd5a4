"""generate-badge: Open Badges 3.0 achievements from course descriptions, with icons, images and history.

``POST /`` (or the event io.localfn.generate-badge.request) makes a badge; the extra routes
list the options, regenerate a badge or one field of it, read or delete the stored history,
serve a badge's image (SVG or PNG, its signed credential baked in) and verify a signed
credential or baked image offline. Every badge made is stored (so results are never
cached): in SQLite by default, in PostgreSQL when LOCALFN_GENERATE_BADGE__DATABASE_URL is set. A failed
generation stores nothing: the store is written only once the badge is complete and valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from localfn import limits
from localfn.capability import Call, Capability, ExtraRoute, Operation, RouteDoc
from localfn.errors import FieldError, InvalidInput, NotFound
from localfn.functions.generate_badge import compat, vocabulary
from localfn.functions.generate_badge.generator import BadgeGenerator
from localfn.functions.generate_badge.image import render_png, svg_from_data_uri
from localfn.functions.generate_badge.models import (
    BadgeField,
    BadgeOptions,
    BadgePath,
    ClearQuery,
    ClearResult,
    DidDocument,
    DidPath,
    GenerateBadgeRequest,
    GenerateBadgeResponse,
    HistoryPage,
    HistoryQuery,
    ImageQuery,
    RegenerateRequest,
    VerifyRequest,
    VerifyResult,
)
from localfn.functions.generate_badge.openbadges import achievement_problems, credential_problems
from localfn.functions.generate_badge.store import BadgeStore, open_store
from localfn.limits import Limit
from localfn.runtime import Runtime

if TYPE_CHECKING:
    from localfn.functions.generate_badge.signing.baking import Signed

__all__ = ["GenerateBadge"]

# The earlier API returned its whole (in-memory, at most 50) history at once.
_LEGACY_HISTORY_LIMIT = 50

# What the extra routes take and answer, for the OpenAPI document: the models the handlers use.
# Every route reads the store (503 history-unavailable); a model call may fail as the engine does.
_STORE, _ENGINE = (503,), (502, 503, 504)
_STORED = RouteDoc(path_params=BadgePath, response=GenerateBadgeResponse, errors=(404, *_STORE))
_REGENERATE = RouteDoc(body=RegenerateRequest, response=GenerateBadgeResponse, errors=(404, *_ENGINE))
_LEGACY_GENERATE = RouteDoc(body=compat.LegacyGenerateRequest, response=compat.LegacyBadge, errors=_ENGINE)
# A baked badge image is verified by sending it as the body, under its own media type.
_IMAGE_TYPES = ("image/svg+xml", "image/png")
_VERIFY = RouteDoc(body=VerifyRequest, body_media_types=_IMAGE_TYPES, response=VerifyResult)
_IMAGE = RouteDoc(
    path_params=BadgePath,
    query=ImageQuery,
    media_type="image/svg+xml",
    other_media_types=("image/png",),
    errors=(404, *_STORE),
)
_LEGACY_REGENERATE = RouteDoc(body=compat.LegacyRegenerateRequest, response=compat.LegacyBadge, errors=(404, *_ENGINE))
# The did:web document, at the function's root (its host's root under functions-framework) and at
# `localfn serve`'s: where the DID's URL points. A handler per route keeps operation ids unique.
_DID_DOCUMENT_DOC = RouteDoc(path_params=DidPath, response=DidDocument, errors=(404,))
_DID_DOCUMENT_PATH = "/{path:path}/did.json"


class GenerateBadge(Capability[GenerateBadgeRequest, GenerateBadgeResponse]):
    name = "generate-badge"
    summary = "Turn a course description into an Open Badges 3.0 achievement, with an image, and keep its history."
    request_model = GenerateBadgeRequest
    response_model = GenerateBadgeResponse
    cacheable = False  # every call stores a new badge

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.generator = BadgeGenerator(runtime)
        self.store: BadgeStore = open_store(runtime.settings)  # connects on first use

    async def run(self, request: GenerateBadgeRequest) -> GenerateBadgeResponse:
        self._check_size(request.course_input)
        badge = await self.generator.generate(request)
        await self.store.add(badge)
        return badge

    async def aclose(self) -> None:
        await self.store.aclose()

    # Extra routes: the app reads and validates each call against its RouteDoc (see the tables below)

    async def options(self, call: Call) -> BadgeOptions:
        """List every value a badge request may use, with its meaning."""
        return BadgeOptions.model_validate(vocabulary.options())

    async def regenerate(self, call: Call) -> GenerateBadgeResponse:
        """Make a new version of a badge (stored, or sent whole), or of one field of it."""
        body: RegenerateRequest = call.body
        if body.badge is not None:
            _check_foreign(body.badge)
            return await self._regenerate(body.badge, body.field, body.instructions, "badge/input/course_input")
        assert body.badge_id is not None  # the model holds one or the other
        return await self._regenerate(await self._stored(body.badge_id), body.field, body.instructions)

    async def verify(self, call: Call) -> VerifyResult:
        """Check a credential (JSON with an embedded proof, a VC-JWT, or a baked SVG or PNG); each check answered on its own."""
        # Loaded on first use: cryptography, pyld and joserfc stay out of a cold start that never verifies.
        from localfn.functions.generate_badge.signing.resolver import KeyResolver
        from localfn.functions.generate_badge.signing.verify import verify_credential, verify_image

        resolver = KeyResolver.from_settings(self.runtime.settings.issuer)
        # Canonicalizing is CPU work of tens of milliseconds, and a did:web a fetch: off the event loop.
        if isinstance(call.body, bytes):  # a baked image, sent as image/svg+xml or image/png
            return await run_in_threadpool(verify_image, call.body, None, resolver)
        return await run_in_threadpool(verify_credential, call.body.credential, None, resolver)

    async def did_document(self, call: Call) -> Response:
        """The issuer's did:web document (LOCALFN_ISSUER__DID_WEB): GET /.well-known/did.json, or /<path>/did.json."""
        path = f"/{call.path.path}/did.json"
        issuer = self.generator.issuer
        document = issuer.did_document()
        if document is None or issuer.did_web is None:
            raise NotFound(f"{path}: this issuer has no did:web (set LOCALFN_ISSUER__DID_WEB to publish one)")
        if path != issuer.did_web.document_path:
            raise NotFound(f"{path} is no DID document; {issuer.did_web.did}'s is at {issuer.did_web.document_path}")
        return JSONResponse(DidDocument.model_validate(document).model_dump(mode="json", by_alias=True, exclude_none=True))

    async def root_did_document(self, call: Call) -> Response:
        """The issuer's did:web document, at `localfn serve`'s root: where the DID's URL points."""
        return await self.did_document(call)

    async def history(self, call: Call) -> HistoryPage:
        """A page of the stored badges, newest first."""
        return await self.store.page(call.query.limit, call.query.offset)

    async def clear_history(self, call: Call) -> ClearResult:
        """Delete every stored badge (confirm=true)."""
        return ClearResult(deleted=await self.store.clear())

    async def history_item(self, call: Call) -> GenerateBadgeResponse:
        """One stored badge, as generated."""
        return await self._stored(call.path.badge_id)

    async def delete_history_item(self, call: Call) -> Response:
        """Delete one stored badge."""
        if not await self.store.delete(call.path.badge_id):
            raise _not_stored(call.path.badge_id)
        return Response(status_code=204)

    async def image(self, call: Call) -> Response:
        """A stored badge's image, SVG or (format=png) PNG, with its signed credential baked in when it has one."""
        badge = await self._stored(call.path.badge_id)
        svg = svg_from_data_uri(badge.achievement["image"]["id"])
        if svg is None:
            raise NotFound(f"badge {badge.id} has no image rendered by localfn")
        signed = _signed(badge)
        # Baking is imported on the first image asked for, as drawing a PNG is: no cold start needs it.
        from localfn.functions.generate_badge.signing.baking import bake_svg

        # The SVG is localfn's own drawing with escaped text; the policy keeps it inert even if opened directly.
        headers = {"Content-Security-Policy": "default-src 'none'"}
        if call.query.format == "png":  # drawing takes tens of milliseconds of CPU: off the event loop
            return Response(await run_in_threadpool(_png, svg, signed), media_type="image/png", headers=headers)
        return Response(bake_svg(svg, signed) if signed else svg, media_type="image/svg+xml", headers=headers)

    # The earlier badge API, at `localfn serve`'s root

    async def legacy_generate(self, call: Call) -> compat.LegacyBadge:
        """The earlier API: make a badge (its fields, answered in its shape)."""
        return compat.legacy_badge(await self.run(call.body.to_request()))

    async def legacy_regenerate(self, call: Call) -> compat.LegacyBadge:
        """The earlier API: a new version of a stored badge (badge_id), or a new badge (course_input)."""
        body: compat.LegacyRegenerateRequest = call.body
        if body.badge_id is None:
            return compat.legacy_badge(await self.run(body.to_request()))
        previous = await self._stored(body.badge_id)
        return compat.legacy_badge(await self._regenerate(previous, body.field, body.custom_instructions))

    async def legacy_history(self, call: Call) -> compat.LegacyHistory:
        """The earlier API: the newest 50 stored badges."""
        return compat.legacy_history(await self.store.page(_LEGACY_HISTORY_LIMIT, 0))

    async def legacy_clear_history(self, call: Call) -> compat.LegacyCleared:
        """The earlier API: delete every stored badge (confirm=true)."""
        return compat.legacy_cleared(await self.store.clear())

    async def legacy_styles(self, call: Call) -> compat.LegacyStyles:
        """The earlier API: each style, tone, criterion style and level with its meaning."""
        return compat.legacy_styles()

    extra_routes = (
        ExtraRoute("/options", (Operation("GET", options, RouteDoc(response=BadgeOptions)),)),
        ExtraRoute("/regenerate", (Operation("POST", regenerate, _REGENERATE, engine=True),)),
        ExtraRoute("/verify", (Operation("POST", verify, _VERIFY),)),
        ExtraRoute(
            "/history",
            (
                Operation("GET", history, RouteDoc(query=HistoryQuery, response=HistoryPage, errors=_STORE)),
                Operation("DELETE", clear_history, RouteDoc(query=ClearQuery, response=ClearResult, errors=_STORE)),
            ),
        ),
        ExtraRoute(
            "/history/{badge_id}",
            (
                Operation("GET", history_item, _STORED),
                Operation("DELETE", delete_history_item, RouteDoc(path_params=BadgePath, status=204, errors=(404, *_STORE))),
            ),
        ),
        ExtraRoute("/image/{badge_id}", (Operation("GET", image, _IMAGE),)),
        ExtraRoute(_DID_DOCUMENT_PATH, (Operation("GET", did_document, _DID_DOCUMENT_DOC),)),
    )
    root_routes = (
        ExtraRoute("/api/v1/generate-badge-suggestions", (Operation("POST", legacy_generate, _LEGACY_GENERATE, engine=True),)),
        ExtraRoute("/api/v1/regenerate_badge", (Operation("POST", legacy_regenerate, _LEGACY_REGENERATE, engine=True),)),
        ExtraRoute(
            "/api/v1/badge_history",
            (
                Operation("GET", legacy_history, RouteDoc(response=compat.LegacyHistory, errors=_STORE)),
                Operation("DELETE", legacy_clear_history, RouteDoc(query=ClearQuery, response=compat.LegacyCleared, errors=_STORE)),
            ),
        ),
        ExtraRoute("/api/v1/styles", (Operation("GET", legacy_styles, RouteDoc(response=compat.LegacyStyles)),)),
        ExtraRoute(_DID_DOCUMENT_PATH, (Operation("GET", root_did_document, _DID_DOCUMENT_DOC),)),
    )

    # Helpers

    async def _regenerate(
        self,
        previous: GenerateBadgeResponse,
        field: BadgeField | None,
        instructions: str | None,
        path: str = "course_input",
    ) -> GenerateBadgeResponse:
        self._check_size(previous.input.course_input, path)  # a response sent back may carry any text
        badge = await self.generator.regenerate(previous, field, instructions)
        await self.store.add(badge)
        return badge

    async def _stored(self, badge_id: str) -> GenerateBadgeResponse:
        badge = await self.store.get(badge_id)
        if badge is None:
            raise _not_stored(badge_id)
        return badge

    def _check_size(self, course_input: str, path: str = "course_input") -> None:
        limit = self.runtime.settings.generate_badge.max_input_chars
        limits.check(Limit(path, len(course_input), limit, "LOCALFN_GENERATE_BADGE__MAX_INPUT_CHARS"), advice="send a shorter description")


def _signed(badge: GenerateBadgeResponse) -> Signed | None:
    """What was issued, when it was signed: the VC-JWT, or the credential with its embedded proof."""
    if badge.credential_jwt is not None:
        return badge.credential_jwt
    if badge.credential is not None and "proof" in badge.credential:
        return badge.credential
    return None


def _png(svg: str, signed: Signed | None) -> bytes:
    from localfn.functions.generate_badge.signing.baking import bake_png

    png = render_png(svg)
    return bake_png(png, signed) if signed else png


def _not_stored(badge_id: str) -> NotFound:
    return NotFound(f"no stored badge has the id {badge_id!r}; GET /generate-badge/history lists them")


def _check_foreign(badge: GenerateBadgeResponse) -> None:
    """A previous response sent back by a caller is input: its OB 3.0 objects must be valid to build on."""
    errors = [FieldError(f"badge/achievement/{path}", message) for path, message in achievement_problems(badge.achievement)]
    if badge.credential is not None:
        errors += [FieldError(f"badge/credential/{path}", message) for path, message in credential_problems(badge.credential)]
    if errors:
        raise InvalidInput(f"badge is not a valid generate-badge response: {errors[0].path}: {errors[0].message}", errors=errors)
