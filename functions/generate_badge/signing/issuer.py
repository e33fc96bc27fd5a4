"""Issuing: a built credential, signed with the proof a request chose (or the configured default).

A signed credential's ``issuer.id`` is the configured did:web (``LOCALFN_ISSUER__DID_WEB``),
else the did:key of the key that signs it (Ed25519 for Data Integrity, P-256 for a JWT; an
RSA key, chosen by ``LOCALFN_ISSUER__JWT_ALG=RS256``, has no did:key, so it needs the did:web):
verifiers check that the verification method's controller is the issuer, and a did:key is its
own controller. The proof names the method that signed it (``verificationMethod``, a JWT's
``kid``), so after a rotation verifiers still find an older key in the did:web document. The
profile's name and url stay as sent. The signing modules (cryptography, pyld, joserfc) are
imported only once keys are configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localfn.errors import FieldError, InvalidInput, Misconfigured
from localfn.functions.generate_badge.openbadges import now, validate_credential
from localfn.functions.generate_badge.signing.didweb import DidWeb, parse
from localfn.settings import IssuerSettings, JwtAlgorithm, Proof

if TYPE_CHECKING:
    from joserfc.jwk import ECKey, RSAKey

    from localfn.functions.generate_badge.signing.didkey import VerifyingKey
    from localfn.functions.generate_badge.signing.keys import IssuerKeys

__all__ = ["CredentialIssuer", "Issued"]


@dataclass(frozen=True)
class Issued:
    """What was issued: the credential (with its embedded proof, if any) and, for a JWT, the token itself."""

    credential: dict[str, Any]
    jwt: str | None = None


class CredentialIssuer:
    def __init__(self, settings: IssuerSettings) -> None:
        self.default_proof: Proof = settings.default_proof
        self.did_web: DidWeb | None = parse(settings.did_web) if settings.did_web else None
        self.jwt_alg: JwtAlgorithm = settings.jwt_alg
        self.keys: IssuerKeys | None = None
        if settings.keys_file is not None:
            from localfn.functions.generate_badge.signing.keys import KeysFileError, load_keys

            try:
                self.keys = load_keys(settings.keys_file)
            except KeysFileError as exc:  # its message names the file and the fault, never the keys
                raise Misconfigured(f"{exc} (LOCALFN_ISSUER__KEYS_FILE)") from None
            if self.jwt_alg == "RS256" and self.keys.rsa is None:
                raise Misconfigured(
                    f"LOCALFN_ISSUER__JWT_ALG=RS256 needs an RSA key in {settings.keys_file}; "
                    "`localfn keys generate --rsa` writes a keys file with one"
                )

    def _jwt_key(self) -> ECKey | RSAKey | None:
        assert self.keys is not None
        return self.keys.rsa if self.jwt_alg == "RS256" else self.keys.p256

    def choose(self, proof: Proof | None) -> Proof:
        """The proof to use (``proof``, else the default); a 422 naming what to set when no key can make it."""
        chosen = proof or self.default_proof
        missing = {
            "data-integrity": self.keys is None or self.keys.ed25519 is None,
            "jwt": self.keys is None or self._jwt_key() is None,
            "none": False,
        }[chosen]
        if missing:
            kind = "an Ed25519" if chosen == "data-integrity" else "a P-256"
            message = (
                f"a {chosen} proof needs {kind} key in the issuer's keys file (LOCALFN_ISSUER__KEYS_FILE; "
                "`localfn keys generate` writes one); send proof 'none' for an unsigned credential"
            )
            raise InvalidInput(f"proof: {message}", errors=[FieldError("proof", message)])
        return chosen

    def issue(self, credential: dict[str, Any], proof: Proof) -> Issued:
        """``credential`` (built unsigned by openbadges.build_credential) signed as ``proof``; call ``choose`` first."""
        if proof == "none":
            return Issued(credential)
        assert self.keys is not None, "choose() refuses signed proofs without keys"
        from joserfc.jwk import OKPKey

        from localfn.functions.generate_badge.signing import dataintegrity, vcjwt
        from localfn.functions.generate_badge.signing.keys import signing_key, verifying_key

        key = self._jwt_key() if proof == "jwt" else self.keys.ed25519
        assert key is not None, "choose() refuses a proof whose key is missing"
        did, method = self._identity(verifying_key(key))
        credential = {**credential, "issuer": {**credential["issuer"], "id": did}}
        if not isinstance(key, OKPKey):  # proof "jwt": its P-256 or RSA key
            validate_credential(credential)
            return Issued(credential, vcjwt.encode(credential, key, method))
        made = dataintegrity.create_proof(credential, signing_key(key), verification_method=method, created=now())
        signed = {**credential, "proof": [made]}  # OB 3.0: proof is always an array
        validate_credential(signed)
        return Issued(signed)

    def _identity(self, key: VerifyingKey) -> tuple[str, str]:
        """The issuer id and the verification method of credentials ``key`` signs."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        from localfn.functions.generate_badge.signing import diddocument, didkey

        if self.did_web is not None:
            return self.did_web.did, diddocument.method_id(self.did_web.did, key)
        assert not isinstance(key, rsa.RSAPublicKey), "settings refuse RS256 without a did:web: no did:key names an RSA key"
        did = didkey.did_key(key)
        return did, didkey.verification_method(did)

    def did_document(self) -> dict[str, Any] | None:
        """The did:web document publishing every key of the keys file; None without a did:web."""
        if self.did_web is None:
            return None
        assert self.keys is not None, "settings refuse a did:web without a keys file"
        from localfn.functions.generate_badge.signing.diddocument import did_document

        return did_document(self.did_web.did, self.keys.published)
