"""Signing: signatures per second for each proof format, and signing's share of a badge request on the embedded model.

Signatures per second: ``CredentialIssuer.issue``, what generate-badge runs for each signed
badge (Data Integrity: two RDFC-1.0 canonicalizations with pyld, SHA-256, Ed25519; a JWT:
ES256 over the JSON; each then validates the signed credential against OB 3.0's schema), on
one real credential, in this process; the formats take turns, medians of ``--repeats``
batches. The share: generate-badge under functions-framework (runtime venv, as in the image)
with a keys file, on llama-server with SmolLM2-135M-Instruct (the embedded engine); the
median wall time of a badge request with each proof, against the median time of one
signature of that format. The signature is measured here, not inside the function, because
a request's own time varies with the model's output by far more than signing takes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.perf.harness import function, median
from bench.perf.options import Options
from bench.perf.record import Check, Result
from localfn.engine.embedded import LlamaServer, default_model_path
from localfn.functions.generate_badge.openbadges import build_achievement, build_credential, subject_for
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import generate_key_set
from localfn.settings import IssuerSettings, Proof

NAME = "signing"
FORMATS: tuple[Proof, ...] = ("data-integrity", "jwt")
BATCH = 50  # signatures per timed batch (scaled)
MAX_TRIES = 5
TARGET_PERCENT = 2.0
ISSUER = {"id": "https://example.edu", "name": "Example University"}  # as a request sends it
PROFILE = {**ISSUER, "type": ["Profile"]}  # as generate-badge builds it
COURSE = (
    "Introduction to Python ({n}). Students write small programs with variables, loops, functions and lists, "
    "read and write files, and finish with a project that parses a CSV file and prints a report. "
    "Six graded exercises and the project make up the grade."
)


def credential() -> dict[str, Any]:
    """An unsigned OpenBadgeCredential as generate-badge builds one."""
    achievement = build_achievement(
        achievement_id="urn:uuid:6f1d1c3e-8c5b-4b8e-9d3a-0f2f5d2b7a10",
        name="Python Foundations",
        description="Certifies that the earner writes small Python programs.",
        criteria="Passed six graded exercises and a final project.",
        achievement_type="Course",
        image_uri="data:image/svg+xml;base64,PHN2Zy8+",
        skills=["loops", "functions"],
        language="en",
        alignments=[],
        creator=PROFILE,
    )
    return build_credential(achievement, issuer=PROFILE, subject=subject_for("ada@example.org"))


def signing_seconds(keys_file: Path, batches: int, batch: int) -> dict[Proof, list[float]]:
    """Seconds per signature of each format, one value per batch."""
    issuer, unsigned = CredentialIssuer(IssuerSettings(keys_file=keys_file)), credential()
    for proof in FORMATS:  # warm-up: pyld's context cache, the schema validator
        issuer.issue(unsigned, proof)
    seconds: dict[Proof, list[float]] = {proof: [] for proof in FORMATS}
    for run in range(batches):
        for proof in FORMATS[:: 1 if run % 2 == 0 else -1]:
            started = time.perf_counter()
            for _ in range(batch):
                issuer.issue(unsigned, proof)
            seconds[proof].append((time.perf_counter() - started) / batch)
    return seconds


async def request_seconds(keys_file: Path, repeats: int) -> tuple[dict[Proof, list[float]], int]:
    """Wall seconds of signed badge requests with each proof, on the embedded model, and how many were 502s.

    A 135M model's reply sometimes breaks the badge's schema after every re-ask (502): nothing
    was signed, so the request is not timed and the next course input is tried, at most
    MAX_TRIES times per measurement.
    """
    seconds: dict[Proof, list[float]] = {proof: [] for proof in FORMATS}
    inputs = itertools.count()
    failed = 0
    async with LlamaServer(default_model_path(), name="smollm2", parallel=1, ctx_size=4096) as server:
        env = {
            "LOCALFN_ENGINES": f"[{server.backend().model_dump_json()}]",
            "LOCALFN_TEMPERATURE": "0",
            "LOCALFN_REQUEST_TIMEOUT_S": "600",
            "LOCALFN_ISSUER__KEYS_FILE": str(keys_file),
            "LOCALFN_GENERATE_BADGE__HISTORY_PATH": str(keys_file.parent / "history.sqlite3"),
        }
        with function("generate_badge", env) as fn:
            async with httpx.AsyncClient(timeout=900) as http:

                async def badge(proof: Proof) -> float:
                    nonlocal failed
                    for _ in range(MAX_TRIES):
                        body = {
                            "course_input": COURSE.format(n=next(inputs)),
                            "recipient": "ada@example.org",
                            "issuer": ISSUER,
                            "proof": proof,
                        }
                        started = time.perf_counter()
                        response = await http.post(fn.url, json=body)
                        if response.status_code != 502:
                            response.raise_for_status()
                            return time.perf_counter() - started
                        failed += 1
                    raise RuntimeError(f"{MAX_TRIES} badge requests in a row were 502s: {response.text}")

                await badge("data-integrity")  # warm-up: model pages, the signing modules' first import
                for run in range(repeats):
                    for proof in FORMATS[:: 1 if run % 2 == 0 else -1]:
                        seconds[proof].append(await badge(proof))
    return seconds, failed


def _load_note() -> str:
    """How busy the machine was as the run ended: other work on the cores slows the model and signing alike."""
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    state = "loaded: other work shared the cores" if five > cores else "not loaded beyond its cores"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {cores} cores as the run ended: {state}"


def run(options: Options) -> Result:
    with tempfile.TemporaryDirectory(prefix="localfn-signing-") as folder:
        keys_file = Path(folder) / "issuer-keys.json"
        keys_file.write_text(json.dumps(generate_key_set()))
        signing = signing_seconds(keys_file, options.repeats, options.count(BATCH))
        requests, failed = asyncio.run(request_seconds(keys_file, options.repeats))
    per_signature = {proof: median(signing[proof]) for proof in FORMATS}
    per_request = {proof: median(requests[proof]) for proof in FORMATS}
    checks = [Check.info(f"{proof} signatures per second", 1 / per_signature[proof], "1/s") for proof in FORMATS]
    checks += [
        Check.at_most(f"{proof} signing, % of a badge request", 100 * per_signature[proof] / per_request[proof], TARGET_PERCENT, "%")
        for proof in FORMATS
    ]
    return Result(
        benchmark=NAME,
        parameters={
            "model": default_model_path().name,
            "slots": 1,
            "temperature": 0,
            "repeats": options.repeats,
            "signatures_per_batch": options.count(BATCH),
            "function": "generate_badge, a keys file, default settings",
        },
        raw={
            "median_ms_per_signature": {proof: round(s * 1000, 3) for proof, s in per_signature.items()},
            "median_s_per_request": {proof: round(s, 3) for proof, s in per_request.items()},
            "ms_per_signature": {proof: [round(s * 1000, 3) for s in values] for proof, values in signing.items()},
            "s_per_request": {proof: [round(s, 3) for s in values] for proof, values in requests.items()},
            "requests_502_not_timed": failed,
        },
        checks=checks,
        notes=["Signatures are timed in the benchmark's process; requests end to end through the function.", _load_note()],
    )
