"""`localfn verify FILE`: check a credential (offline, unless its issuer is an allowed did:web), each check on its own line."""

from __future__ import annotations

import codecs
import json
from typing import IO, Any

import click

__all__ = ["verify"]


def _credential(text: str) -> dict[str, Any] | str:
    """A credential JSON, a VC-JWT, or a generate-badge response (its credential_jwt, else its credential)."""
    text = text.strip()
    if not text.startswith("{"):
        return text
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise click.ClickException(f"the file is neither a VC-JWT nor valid JSON: {exc}") from None
    if isinstance(data.get("credential_jwt"), str):
        return str(data["credential_jwt"])
    credential = data.get("credential", data)
    if not isinstance(credential, dict):
        raise click.ClickException("the response holds no credential: it was made without a recipient")
    return credential


def _is_image(data: bytes) -> bool:
    """A PNG by its signature, an SVG by its markup; JSON and JWTs start otherwise."""
    return data.startswith(b"\x89PNG") or data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")


@click.command()
@click.argument("file", type=click.File("rb"))
@click.option(
    "--did-web-allow",
    envvar="LOCALFN_ISSUER__DID_WEB_ALLOW",
    default="",
    metavar="DOMAINS",
    help="Comma-separated domains (host[:port]) whose did:web keys are fetched over HTTPS; others are not resolved.",
)
@click.option(
    "--did-web-timeout",
    envvar="LOCALFN_ISSUER__DID_WEB_TIMEOUT_S",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for a did:web document.",
)
def verify(file: IO[bytes], did_web_allow: str, did_web_timeout: float) -> None:
    """Verify a credential (FILE: credential JSON, VC-JWT, baked SVG or PNG, or '-'); exit 1 when not valid.

    A did:key is resolved offline; a did:web only from a domain in --did-web-allow.
    """
    from localfn.functions.generate_badge.signing.resolver import KeyResolver
    from localfn.functions.generate_badge.signing.verify import verify_credential, verify_image

    resolver = KeyResolver(did_web_allow.split(","), did_web_timeout)
    data = file.read()
    if _is_image(data):
        result = verify_image(data, resolver=resolver)
    else:
        try:
            text = data.decode("utf-8-sig")  # a byte-order mark is no part of the JSON
        except UnicodeDecodeError:
            raise click.ClickException("the file is neither text (a credential JSON or a VC-JWT) nor a PNG or SVG") from None
        result = verify_credential(_credential(text), resolver=resolver)
    # One line per check, unwrapped: readable, and easy to grep in scripts.
    click.echo(f"{'valid' if result.valid else 'NOT VALID'} ({result.proof} proof)")
    for check in result.checks:
        click.echo(f"  {'ok' if check.ok else 'FAILED':6} {check.name}: {check.detail}")
    if not result.valid:
        raise SystemExit(1)
