"""Makes badges: the model's text, the matched icon, the rendered image, the Open Badges objects around them.

``generate`` makes a new badge; ``regenerate`` makes the next version of one, changing only
the field asked for (or everything). Nothing is stored here: the capability stores what
this returns, so a failure anywhere leaves no trace.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from localfn.functions.generate_badge.drafts import AlignmentDraft, BadgeDraft
from localfn.functions.generate_badge.icons import IconMatcher, Match
from localfn.functions.generate_badge.image import data_uri, render_badge
from localfn.functions.generate_badge.models import (
    BadgeField,
    BadgeInput,
    GenerateBadgeRequest,
    GenerateBadgeResponse,
    Generation,
    IconChoice,
    SuggestedIcon,
)
from localfn.functions.generate_badge.openbadges import build_achievement, build_credential, subject_for
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.vocabulary import FRAMEWORKS
from localfn.functions.generate_badge.writer import BadgeWriter
from localfn.runtime import Runtime
from localfn.settings import Proof
from localfn.structured import Structured

__all__ = ["BadgeGenerator"]


@dataclass(frozen=True)
class _Text:
    """What a badge says, whoever wrote it: the model now, or an earlier version."""

    name: str
    description: str
    criteria: str
    skills: list[str]
    achievement_type: str
    estimated_duration: str
    alignments: list[dict[str, Any]]  # OB 3.0 Alignments without their "type"

    @classmethod
    def drafted(cls, draft: BadgeDraft, badge: BadgeInput) -> _Text:
        return cls(
            name=draft.name,
            description=draft.description,
            criteria=draft.criteria,
            skills=draft.skills,
            # A type the caller fixed wins over the model's choice.
            achievement_type=badge.achievement_type or draft.achievement_type,
            estimated_duration=draft.estimated_duration,
            alignments=_alignments(draft.alignments),
        )

    @classmethod
    def of(cls, badge: GenerateBadgeResponse) -> _Text:
        achievement = badge.achievement
        return cls(
            name=achievement["name"],
            description=achievement["description"],
            criteria=achievement["criteria"].get("narrative", ""),
            skills=list(badge.skills),
            achievement_type=achievement.get("achievementType", "Achievement"),  # optional in OB 3.0
            estimated_duration=badge.estimated_duration,
            alignments=[{k: v for k, v in a.items() if k != "type"} for a in achievement.get("alignment", [])],
        )


@dataclass(frozen=True)
class _Award:
    """Who a credential is for (the AchievementSubject's id or identifier), who issues it, and how it is signed."""

    subject: dict[str, Any]
    issuer: dict[str, Any]
    proof: Proof

    @classmethod
    def of(cls, badge: GenerateBadgeResponse) -> _Award | None:
        # The recipient itself is never stored: a new version re-uses the earlier (hashed) subject.
        if badge.credential is None:
            return None
        subject = {k: v for k, v in badge.credential["credentialSubject"].items() if k not in ("type", "achievement")}
        # A new version is signed as the earlier one was.
        proof: Proof = "jwt" if badge.credential_jwt else "data-integrity" if "proof" in badge.credential else "none"
        return cls(subject=subject, issuer=badge.credential["issuer"], proof=proof)


class BadgeGenerator:
    def __init__(self, runtime: Runtime) -> None:
        self.writer = BadgeWriter(runtime)
        self.icons = IconMatcher.from_library()  # the icons' TF-IDF vectors, once per runtime
        self.issuer = CredentialIssuer(runtime.settings.issuer)

    async def generate(self, request: GenerateBadgeRequest) -> GenerateBadgeResponse:
        started = time.perf_counter()
        badge = request.badge_input()
        award = None
        if request.recipient is not None and request.issuer is not None:
            # Chosen before the model runs: a proof no key can make is refused at once.
            proof = self.issuer.choose(request.proof)
            award = _Award(subject=subject_for(request.recipient), issuer=request.issuer.profile(), proof=proof)
        draft, written = await self.writer.draft(badge)
        text = _Text.drafted(draft, badge)
        icon = _suggestion(self.icons.rank(badge.course_input))
        return await self._build(badge, text, icon, award, _generation(started, written), parent=None)

    async def regenerate(
        self, previous: GenerateBadgeResponse, field: BadgeField | None, instructions: str | None
    ) -> GenerateBadgeResponse:
        """The next version of ``previous``: only ``field`` changes (everything when None)."""
        started = time.perf_counter()
        badge, text, icon = previous.input, _Text.of(previous), previous.suggested_icon
        award = _Award.of(previous)
        if award is not None:
            self.issuer.choose(award.proof)
        if self.icons.get(icon.name) is None:  # a response from elsewhere may name an icon this library lacks
            icon = _suggestion(self.icons.rank(badge.course_input))
        written: Structured[Any] | None = None
        if field is None:
            note = f'Write a new version of the badge previously named "{text.name}". {instructions or ""}'.strip()
            draft, written = await self.writer.draft(badge, instructions=note)
            text = _Text.drafted(draft, badge)
        elif field == "image":
            icon = self._other_icon(badge, icon, instructions)
        else:
            current = {
                "name": text.name,
                "description": text.description,
                "criteria": text.criteria,
                "skills": text.skills,
            }
            value, written = await self.writer.rewrite(field, badge, current, instructions)
            text = replace(text, **{field: value})
        return await self._build(badge, text, icon, award, _generation(started, written), parent=previous)

    def _other_icon(self, badge: BadgeInput, current: SuggestedIcon, instructions: str | None) -> SuggestedIcon:
        """Instructions pick the icon closest to them; without, the next of the course's best three, in turn."""
        if instructions:
            ranked = [m for m in self.icons.rank(instructions, count=4) if m.icon.name != current.name]
            return _suggestion(ranked)
        ranked = self.icons.rank(badge.course_input)
        names = [match.icon.name for match in ranked]
        start = (names.index(current.name) + 1) if current.name in names else 0
        return _suggestion(ranked[start:] + ranked[:start])

    async def _build(
        self,
        badge: BadgeInput,
        text: _Text,
        icon: SuggestedIcon,
        award: _Award | None,
        generation: Generation,
        *,
        parent: GenerateBadgeResponse | None,
    ) -> GenerateBadgeResponse:
        badge_id = str(uuid.uuid4())
        chosen = self.icons.get(icon.name)
        assert chosen is not None, "callers pass icons of this library"
        svg = render_badge(
            name=text.name,
            icon_svg=chosen.svg(),
            style=badge.badge_style,
            level=badge.badge_level,
            institution=badge.institution,
        )
        achievement = build_achievement(
            achievement_id=f"urn:uuid:{badge_id}",
            name=text.name,
            description=text.description,
            criteria=text.criteria,
            achievement_type=text.achievement_type,
            image_uri=data_uri(svg),
            skills=text.skills,
            language=badge.language,
            alignments=text.alignments,
            creator=badge.issuer.profile() if badge.issuer else None,
        )
        issued = None
        if award is not None:
            credential = build_credential(achievement, issuer=award.issuer, subject=award.subject)
            # A Data Integrity proof canonicalizes the credential (~20 ms of CPU): off the event loop.
            issued = await asyncio.to_thread(self.issuer.issue, credential, award.proof)
        return GenerateBadgeResponse(
            id=badge_id,
            version=parent.version + 1 if parent else 1,
            parent_id=parent.id if parent else None,
            created_at=datetime.now(UTC),
            achievement=achievement,
            credential=issued.credential if issued else None,
            credential_jwt=issued.jwt if issued else None,
            skills=text.skills,
            estimated_duration=text.estimated_duration,
            suggested_icon=icon,
            input=badge,
            generation=generation,
        )


def _alignments(drafts: list[AlignmentDraft]) -> list[dict[str, Any]]:
    """OB 3.0 Alignments for the frameworks the model named, pointing at each framework's home page."""
    seen: set[tuple[str, str]] = set()
    alignments = []
    for draft in drafts:
        name = " ".join(draft.competency.split())
        key = (draft.framework, name.lower())
        if name and key not in seen:
            seen.add(key)
            info = FRAMEWORKS[draft.framework]
            alignments.append({"targetName": name, "targetFramework": info.title, "targetUrl": info.url})
    return alignments


def _suggestion(ranked: list[Match]) -> SuggestedIcon:
    best, *others = ranked
    return SuggestedIcon(
        name=best.icon.name,
        file=best.icon.file,
        score=best.score,
        alternatives=[IconChoice(name=m.icon.name, file=m.icon.file, score=m.score) for m in others[:2]],
    )


def _generation(started: float, written: Structured[Any] | None) -> Generation:
    """What making this version cost; no model fields when no model was called (a new image)."""
    last = written.last if written else None
    return Generation(
        seconds=round(time.perf_counter() - started, 3),
        model=last.model if last else None,
        backend=last.backend if last else None,
        prompt_tokens=written.prompt_tokens if written else 0,
        completion_tokens=written.completion_tokens if written else 0,
        attempts=written.attempts if written else 0,
    )
