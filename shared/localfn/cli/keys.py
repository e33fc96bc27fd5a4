"""`localfn keys generate | rotate | did-web`: the issuer's signing keys and the DID document publishing them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from localfn.errors import Misconfigured

__all__ = ["keys"]

_KEYS_FILE = click.Path(dir_okay=False, path_type=Path)
_EXISTING_KEYS_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def keys() -> None:
    """The issuer's signing keys (a JWK Set file, LOCALFN_ISSUER__KEYS_FILE)."""


def _write_private(path: Path, key_set: dict[str, Any], replace: bool) -> None:
    """Write ``key_set`` to ``path``, readable by its owner only; an existing file only when ``replace``.

    A replaced file is swapped in whole (written beside it, then renamed): a crash midway
    never leaves a keys file cut short.
    """
    target = path.with_name(f".{path.name}.new") if replace else path
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # created private: it holds private keys
        with os.fdopen(fd, "w") as file:
            json.dump(key_set, file, indent=2)
        if replace:
            os.replace(target, path)
    except FileExistsError:
        what = f"{target} (left by an interrupted run; check and delete it)" if replace else f"{path} exists"
        raise click.ClickException(f"{what}; pass --force to replace it (the keys in it are lost)") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None


@keys.command()
@click.argument("path", envvar="LOCALFN_ISSUER__KEYS_FILE", type=_KEYS_FILE)
@click.option("--force", is_flag=True, help="Replace an existing file (the keys in it are lost).")
@click.option("--rsa", is_flag=True, help="Add an RSA-2048 key, to sign JWTs RS256 (LOCALFN_ISSUER__JWT_ALG=RS256, a did:web).")
def generate(path: Path, force: bool, rsa: bool) -> None:
    """Write new Ed25519 and P-256 (and with --rsa RSA) private keys to PATH (a JWK Set readable by its owner only);
    print the public parts.

    Ed25519 signs Data Integrity proofs, P-256 (or RSA) signs JWTs; an Ed25519 or P-256 key's
    `kid` is its did:key verification method, the issuer id of the credentials it signs
    (without a did:web); an RSA key's is its JWK thumbprint, its did:web method's fragment.
    """
    # Loaded here: cryptography and joserfc are not needed by the other commands.
    from localfn.functions.generate_badge.signing.keys import generate_key_set, public_key_set

    key_set = generate_key_set(rsa)
    _write_private(path, key_set, replace=force and path.exists())
    click.echo(json.dumps(public_key_set(key_set), indent=2))
    click.echo(f"Private keys written to {path}; point LOCALFN_ISSUER__KEYS_FILE at it.", err=True)


@keys.command()
@click.argument("path", envvar="LOCALFN_ISSUER__KEYS_FILE", type=_EXISTING_KEYS_FILE)
def rotate(path: Path) -> None:
    """Put new Ed25519 and P-256 keys (and RSA, when PATH holds one) first in PATH (they sign from now on), keeping the old ones;
    print the public parts.

    The old keys stay in the file so the did:web document keeps publishing them: credentials
    they signed still verify. Restart generate-badge to sign with the new keys, and republish
    the DID document (`localfn keys did-web`) where it is hosted elsewhere.
    """
    from localfn.functions.generate_badge.signing.keys import KeysFileError, load_keys, public_key_set, rotate_key_set

    try:
        load_keys(path)  # a file that does not load is not rotated into one that still does not
    except KeysFileError as exc:
        raise click.ClickException(str(exc)) from None
    key_set = rotate_key_set(json.loads(path.read_text()))
    _write_private(path, key_set, replace=True)
    click.echo(json.dumps(public_key_set(key_set), indent=2))
    click.echo(f"New keys written first in {path}; the old ones are kept and still published.", err=True)


@keys.command("did-web")
@click.argument("domain")
@click.option(
    "--keys-file",
    envvar="LOCALFN_ISSUER__KEYS_FILE",
    required=True,
    type=_EXISTING_KEYS_FILE,
    help="The issuer's keys file (JWK Set); only its public parts are printed.",
)
def did_web(domain: str, keys_file: Path) -> None:
    """Print the DID document of did:web:DOMAIN (example.edu, or example.edu:badges) publishing every key of the keys file.

    Host it at https://DOMAIN/.well-known/did.json (https://example.edu/badges/did.json for a
    path); generate-badge serves the same document itself when LOCALFN_ISSUER__DID_WEB is set.
    """
    from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
    from localfn.settings import IssuerSettings

    try:
        issuer = CredentialIssuer(IssuerSettings(keys_file=keys_file, did_web=domain))
    except ValidationError as exc:
        raise click.ClickException("; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())) from None
    except Misconfigured as exc:
        raise click.ClickException(str(exc)) from None
    assert issuer.did_web is not None  # did_web was given
    click.echo(json.dumps(issuer.did_document(), indent=2))
    click.echo(f"Serve this at {issuer.did_web.document_url}", err=True)
