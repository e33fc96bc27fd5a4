"""Signing credentials and verifying them: keys files, both proof formats, and every tampering case.

Keys are real (a keys file as `localfn keys generate` writes), signatures real; VC-JWTs are
also verified with a second JOSE library (jwcrypto) so joserfc does not grade its own work.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt as joserfc_jwt
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jwt as jwcrypto_jwt
from pydantic import ValidationError

from localfn.errors import InvalidInput
from localfn.functions.generate_badge.models import VerifyResult
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import KeysFileError, generate_key_set, load_keys, public_key_set
from localfn.functions.generate_badge.signing.verify import verify_credential
from localfn.settings import IssuerSettings, Settings
from tests.support.openbadges import OB3
from tests.support.signing import issuer_with_keys, jwt_parts, unsigned_credential, write_keys


def failed(result: VerifyResult) -> dict[str, str]:
    return {check.name: check.detail for check in result.checks if not check.ok}


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return write_keys(tmp_path)


@pytest.fixture
def issuer(keys_file: Path) -> CredentialIssuer:
    return CredentialIssuer(IssuerSettings(keys_file=keys_file))


# Keys and settings


def test_a_generated_key_set_loads_and_its_public_form_has_no_private_part(tmp_path: Path) -> None:
    key_set = generate_key_set()
    assert [(jwk["kty"], jwk["crv"]) for jwk in key_set["keys"]] == [("OKP", "Ed25519"), ("EC", "P-256")]
    assert all("d" in jwk for jwk in key_set["keys"])
    assert not any("d" in jwk for jwk in public_key_set(key_set)["keys"])
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(key_set))
    keys = load_keys(path)
    # Each key is named by its own did:key verification method.
    assert [jwk["kid"].split("#")[0] for jwk in key_set["keys"]] == [keys.ed25519_did, keys.p256_did]


def test_the_keys_repr_shows_dids_never_key_material(tmp_path: Path) -> None:
    path = write_keys(tmp_path)
    keys = load_keys(path)
    secrets = [jwk["d"] for jwk in json.loads(path.read_text())["keys"]]
    shown = repr(keys) + repr(CredentialIssuer(IssuerSettings(keys_file=path)).keys)
    assert str(keys.ed25519_did) in shown
    assert not any(secret in shown for secret in secrets)


def broken_key_sets() -> list[tuple[Any, str]]:
    ed25519, p256 = generate_key_set()["keys"]
    other = generate_key_set()["keys"][0]
    return [
        ("not json", "is not JSON"),
        ({"keys": []}, "at least one key"),
        ({"keys": [{k: v for k, v in ed25519.items() if k != "d"}]}, "no private part 'd'"),
        ({"keys": [{**p256, "crv": "P-384"}]}, "not an Ed25519"),
        ({"keys": [{**ed25519, "d": ed25519["d"][:-4]}]}, "not a valid Ed25519 private key"),
        ({"keys": [{**ed25519, "x": other["x"]}]}, "does not belong to its private part"),
        ({"keys": [ed25519, p256, ed25519]}, "holds a key twice"),
    ]


@pytest.mark.parametrize(("content", "message"), broken_key_sets())
def test_a_bad_keys_file_says_what_is_wrong_without_quoting_any_key(tmp_path: Path, content: Any, message: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(KeysFileError, match=message) as raised:
        load_keys(path)
    assert str(path) in str(raised.value)
    if isinstance(content, dict):
        quoted = [value for jwk in content["keys"] for name, value in jwk.items() if name in ("d", "x", "y")]
        assert not any(value in str(raised.value) for value in quoted)


def test_a_missing_keys_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(KeysFileError, match="LOCALFN_ISSUER__KEYS_FILE"):
        load_keys(tmp_path / "absent.json")


def test_the_default_proof_follows_the_keys_file(keys_file: Path) -> None:
    assert IssuerSettings().default_proof == "none"
    assert IssuerSettings(keys_file=keys_file).default_proof == "data-integrity"
    assert IssuerSettings(keys_file=keys_file, proof="jwt").default_proof == "jwt"
    with pytest.raises(ValidationError, match="LOCALFN_ISSUER__KEYS_FILE"):
        IssuerSettings(proof="jwt")


def test_a_keys_file_that_does_not_exist_stops_the_settings_from_loading(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="keys_file"):
        IssuerSettings(keys_file=tmp_path / "absent.json")


def test_issuer_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, keys_file: Path) -> None:
    monkeypatch.setenv("LOCALFN_ISSUER__KEYS_FILE", str(keys_file))
    monkeypatch.setenv("LOCALFN_ISSUER__PROOF", "jwt")
    assert Settings().issuer == IssuerSettings(keys_file=keys_file, proof="jwt")


@pytest.mark.parametrize("proof", ["data-integrity", "jwt"])
def test_without_keys_a_signed_proof_is_a_422_naming_the_setting(proof: Any) -> None:
    issuer = CredentialIssuer(IssuerSettings())
    assert issuer.choose(None) == "none"
    with pytest.raises(InvalidInput, match="LOCALFN_ISSUER__KEYS_FILE") as raised:
        issuer.choose(proof)
    assert raised.value.errors[0].path == "proof"


def test_a_keys_file_without_a_p256_key_cannot_sign_jwts(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": generate_key_set()["keys"][:1]}))
    issuer = CredentialIssuer(IssuerSettings(keys_file=path))
    assert issuer.choose("data-integrity") == "data-integrity"
    with pytest.raises(InvalidInput, match="a P-256 key"):
        issuer.choose("jwt")


# Data Integrity


def test_an_embedded_proof_verifies_and_names_the_issuers_did_key(issuer: CredentialIssuer) -> None:
    credential = issuer.issue(unsigned_credential(), "data-integrity").credential
    OB3.validate(credential)
    (proof,) = credential["proof"]
    assert credential["issuer"]["id"] == issuer.keys.ed25519_did  # type: ignore[union-attr]
    assert credential["issuer"]["name"] == "Example University"
    assert proof["verificationMethod"] == f"{credential['issuer']['id']}#{credential['issuer']['id'][8:]}"
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof",
        "eddsa-rdfc-2022",
        "assertionMethod",
    )
    result = verify_credential(credential)
    assert result.valid and result.proof == "data-integrity", failed(result)
    assert [check.name for check in result.checks] == ["key", "signature", "schema", "validity"]


def tampered_claim(credential: dict[str, Any]) -> None:
    credential["credentialSubject"]["achievement"]["name"] += "!"


def tampered_subject(credential: dict[str, Any]) -> None:
    credential["credentialSubject"]["id"] = "did:example:mallory"


def tampered_date(credential: dict[str, Any]) -> None:
    credential["validFrom"] = "2020-01-01T00:00:00Z"  # backdated


@pytest.mark.parametrize("tamper", [tampered_claim, tampered_subject, tampered_date])
def test_a_changed_claim_breaks_the_embedded_proof(issuer: CredentialIssuer, tamper: Any) -> None:
    credential = copy.deepcopy(issuer.issue(unsigned_credential(), "data-integrity").credential)
    tamper(credential)
    result = verify_credential(credential)
    assert not result.valid
    assert "changed after signing" in failed(result)["signature"]


def test_a_proof_moved_to_another_credential_does_not_hold(issuer: CredentialIssuer) -> None:
    first = issuer.issue(unsigned_credential("did:example:ada"), "data-integrity").credential
    second = issuer.issue(unsigned_credential("did:example:bob"), "data-integrity").credential
    result = verify_credential({**second, "proof": first["proof"]})
    assert not result.valid
    assert set(failed(result)) == {"signature"}


def test_a_proof_by_another_key_fails_key_resolution_and_signature(tmp_path: Path, issuer: CredentialIssuer) -> None:
    genuine = issuer.issue(unsigned_credential(), "data-integrity").credential
    (tmp_path / "forger").mkdir()
    forger = issuer_with_keys(tmp_path / "forger")
    forged = forger.issue(unsigned_credential(), "data-integrity").credential
    # The forger's proof on a credential that still names the genuine issuer.
    result = verify_credential({**forged, "issuer": genuine["issuer"]})
    problems = failed(result)
    assert not result.valid
    assert "is not the credential's issuer" in problems["key"]
    assert "changed after signing" in problems["signature"]


def test_an_unsigned_credential_is_not_valid_and_says_so() -> None:
    result = verify_credential(unsigned_credential())
    assert (result.valid, result.proof) == (False, "none")
    assert failed(result)["signature"] == "the credential carries no proof: it is unsigned"
    assert {check.name for check in result.checks if check.ok} == {"schema", "validity"}


def test_an_expired_credential_is_not_valid(issuer: CredentialIssuer) -> None:
    ended = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    credential = issuer.issue(unsigned_credential(validFrom=started, validUntil=ended), "data-integrity").credential
    result = verify_credential(credential)
    assert failed(result) == {"validity": f"expired on {ended}"}
    # The same credential was valid the day before it ended.
    assert verify_credential(credential, at=datetime.now(UTC) - timedelta(days=1, hours=1)).valid


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"proof": "x"},
        {"proof": [{"verificationMethod": 3}], "issuer": 1},
        {"proof": [{"verificationMethod": "did:web:example.edu"}], "issuer": "did:web:example.edu", "validFrom": "x"},
        "not a jwt",
        "a.b.c",
    ],
)
def test_garbage_is_not_valid_with_reasons_never_an_exception(garbage: Any) -> None:
    result = verify_credential(garbage)
    assert not result.valid
    assert all(check.detail for check in result.checks)


# VC-JWT


def test_a_vc_jwt_carries_the_ob3_claims_and_verifies_with_a_second_jose_library(issuer: CredentialIssuer, keys_file: Path) -> None:
    ended = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    issued = issuer.issue(unsigned_credential(validUntil=ended), "jwt")
    assert issued.jwt is not None
    credential = issued.credential
    assert credential["issuer"]["id"] == issuer.keys.p256_did  # type: ignore[union-attr]
    public = next(jwk for jwk in public_key_set(json.loads(keys_file.read_text()))["keys"] if jwk["kty"] == "EC")
    token = jwcrypto_jwt.JWT(jwt=issued.jwt, key=jwcrypto_jwk.JWK(**public), algs=["ES256"], expected_type="JWS")
    header, claims = json.loads(token.header), json.loads(token.claims)
    assert header == {"alg": "ES256", "typ": "JWT", "kid": f"{credential['issuer']['id']}#{credential['issuer']['id'][8:]}"}
    assert claims["iss"] == credential["issuer"]["id"]
    assert claims["jti"] == credential["id"]
    assert claims["sub"] == "did:example:ada"
    assert claims["nbf"] == int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    assert claims["exp"] == int(datetime.fromisoformat(ended).timestamp())
    assert {name: value for name, value in claims.items() if name not in ("iss", "jti", "sub", "nbf", "exp")} == credential
    result = verify_credential(issued.jwt)
    assert result.valid and result.proof == "jwt", failed(result)


def jwt_with(token: str, header: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> str:
    """``token`` with its header or payload replaced, its signature kept."""
    old_header, old_payload = jwt_parts(token)
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()  # noqa: E731
    return ".".join((encode(header or old_header), encode(payload or old_payload), token.split(".")[2]))


def test_a_changed_jwt_payload_breaks_its_signature(issuer: CredentialIssuer) -> None:
    token = issuer.issue(unsigned_credential(), "jwt").jwt
    assert token is not None
    _, payload = jwt_parts(token)
    payload["credentialSubject"]["achievement"]["name"] = "Forged"
    result = verify_credential(jwt_with(token, payload=payload))
    assert set(failed(result)) == {"signature"}


def test_a_jwt_signed_by_another_key_is_not_valid(tmp_path: Path, issuer: CredentialIssuer) -> None:
    (tmp_path / "forger").mkdir()
    forged = issuer_with_keys(tmp_path / "forger").issue(unsigned_credential(), "jwt").jwt
    genuine = issuer.issue(unsigned_credential(), "jwt").jwt
    assert forged is not None and genuine is not None
    # The forger's signature under the genuine issuer's kid.
    result = verify_credential(jwt_with(forged, header=jwt_parts(genuine)[0]))
    problems = failed(result)
    assert "does not hold" in problems["signature"]
    assert "is not the credential's issuer" in problems["key"]


def test_jwt_claims_that_disagree_with_the_credential_are_reported(issuer: CredentialIssuer) -> None:
    issued = issuer.issue(unsigned_credential(), "jwt")
    assert issued.jwt is not None
    keys = issuer.keys
    assert keys is not None and keys.p256 is not None
    header = jwt_parts(issued.jwt)[0]
    # Re-signed by the genuine key, with a jti naming another credential.
    payload = {**jwt_parts(issued.jwt)[1], "id": "urn:uuid:00000000-0000-4000-8000-000000000001"}
    resigned = joserfc_jwt.encode(header, payload, keys.p256)
    result = verify_credential(resigned)
    assert failed(result) == {"claims": "the JWT claims jti do not match the credential they carry"}


def test_a_credential_naming_a_context_localfn_does_not_ship_is_not_fetched_nor_valid() -> None:
    # W3C's published signed credential: genuine, but its examples context is not one localfn ships.
    signed = json.loads((Path(__file__).parents[4] / "fixtures" / "vc-di-eddsa" / "signedDataInt.json").read_text())
    result = verify_credential({**signed, "proof": [signed["proof"]]})
    assert not result.valid
    assert "https://www.w3.org/ns/credentials/examples/v2' is not one localfn ships" in failed(result)["signature"]
