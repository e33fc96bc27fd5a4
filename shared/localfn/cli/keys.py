"""`localfn keys generate`: the issuer's signing keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """The issuer's signing keys (a JWK Set file, LOCALFN_ISSUER__KEYS_FILE)."""


@keys.command()
@click.argument("path", envvar="LOCALFN_ISSUER__KEYS_FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing file (the keys in it are lost).")
def generate(path: Path, force: bool) -> None:
    """Write new Ed25519 and P-256 private keys to PATH (a JWK Set readable by its owner only); print the public parts.

    Ed25519 signs Data Integrity proofs, P-256 signs JWTs; each key's `kid` is its did:key
    verification method, the issuer id of the credentials it signs.
    """
    # Loaded here: cryptography and joserfc are not needed by the other commands.
    from localfn.functions.generate_badge.signing.keys import generate_key_set, public_key_set

    key_set = generate_key_set()
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)  # created private: the file holds private keys
    except FileExistsError:
        raise click.ClickException(f"{path} exists; pass --force to replace it (the keys in it are lost)") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        json.dump(key_set, file, indent=2)
    click.echo(json.dumps(public_key_set(key_set), indent=2))
    click.echo(f"Private keys written to {path}; point LOCALFN_ISSUER__KEYS_FILE at it.", err=True)
