"""RSA keys for RS256 JWTs: in the keys file (2048 bits at least), chosen by LOCALFN_ISSUER__JWT_ALG, published
in the did:web document as a JsonWebKey with n and e only, written by `localfn keys generate --rsa`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from jwcrypto import jwk as jwcrypto_jwk
from pydantic import ValidationError

from localfn.cli import main
from localfn.errors import Misconfigured
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import KeysFileError, generate_key_set, load_keys, rotate_key_set
from localfn.settings import IssuerSettings, Settings
from tests.support.signing import RSA_PRIVATE_MEMBERS, jwt_parts, unsigned_credential, write_keys


@pytest.fixture
def rsa_keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "issuer-keys.json"
    path.write_text(json.dumps(generate_key_set(rsa=True)))
    return path


def rsa_secrets(keys_file: Path) -> list[str]:
    """Every private member of the file's RSA keys."""
    return [jwk[name] for jwk in json.loads(keys_file.read_text())["keys"] if jwk["kty"] == "RSA" for name in RSA_PRIVATE_MEMBERS]


def rs256_issuer(keys_file: Path) -> CredentialIssuer:
    return CredentialIssuer(IssuerSettings(keys_file=keys_file, did_web="example.edu", jwt_alg="RS256"))


def test_the_alg_setting_is_read_from_the_environment_and_defaults_to_es256(monkeypatch: pytest.MonkeyPatch, rsa_keys_file: Path) -> None:
    assert IssuerSettings().jwt_alg == "ES256"
    monkeypatch.setenv("LOCALFN_ISSUER__KEYS_FILE", str(rsa_keys_file))
    monkeypatch.setenv("LOCALFN_ISSUER__DID_WEB", "example.edu")
    monkeypatch.setenv("LOCALFN_ISSUER__JWT_ALG", "RS256")
    assert Settings().issuer.jwt_alg == "RS256"


def test_rs256_without_a_did_web_is_refused_at_start_saying_why(rsa_keys_file: Path) -> None:
    with pytest.raises(ValidationError, match="JWT_ALG=RS256 needs LOCALFN_ISSUER__DID_WEB: no did:key names an RSA key"):
        IssuerSettings(keys_file=rsa_keys_file, jwt_alg="RS256")


def test_rs256_with_no_rsa_key_in_the_file_is_refused_at_start_saying_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(Misconfigured, match=r"needs an RSA key in .*`localfn keys generate --rsa`"):
        rs256_issuer(write_keys(tmp_path))


def test_an_rsa_key_under_2048_bits_is_refused_naming_its_position_not_its_content(tmp_path: Path) -> None:
    weak = jwcrypto_jwk.JWK.generate(kty="RSA", size=1024).export_private(as_dict=True)
    path = tmp_path / "weak.json"
    path.write_text(json.dumps({"keys": [*generate_key_set()["keys"], weak]}))
    with pytest.raises(KeysFileError) as raised:
        load_keys(path)
    assert str(raised.value) == f"{path}: key 3 is a 1024-bit RSA key; at least 2048 bits (`localfn keys generate --rsa`)"


def test_an_rsa_key_whose_public_part_is_anothers_is_refused(rsa_keys_file: Path) -> None:
    key_set = json.loads(rsa_keys_file.read_text())
    other = jwcrypto_jwk.JWK.generate(kty="RSA", size=2048).export_public(as_dict=True)
    key_set["keys"][2]["n"] = other["n"]
    rsa_keys_file.write_text(json.dumps(key_set))
    with pytest.raises(KeysFileError, match="key 3"):
        load_keys(rsa_keys_file)


def test_rs256_jwts_are_signed_by_the_rsa_key_named_in_the_did_web_document(rsa_keys_file: Path) -> None:
    issuer = rs256_issuer(rsa_keys_file)
    header, payload = jwt_parts(issuer.issue(unsigned_credential(), "jwt").jwt or "")
    rsa = next(jwk for jwk in json.loads(rsa_keys_file.read_text())["keys"] if jwk["kty"] == "RSA")
    assert header["alg"] == "RS256" and header["kid"] == f"did:web:example.edu#{rsa['kid']}"
    assert payload["iss"] == "did:web:example.edu"
    document = issuer.did_document() or {}
    method = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
    assert method["type"] == "JsonWebKey" and method["publicKeyJwk"] == {"kty": "RSA", "n": rsa["n"], "e": rsa["e"]}
    assert header["kid"] in document["assertionMethod"]


def test_es256_stays_the_default_with_an_rsa_key_in_the_file(rsa_keys_file: Path) -> None:
    issued = CredentialIssuer(IssuerSettings(keys_file=rsa_keys_file, did_web="example.edu")).issue(unsigned_credential(), "jwt")
    assert jwt_parts(issued.jwt or "")[0]["alg"] == "ES256"


def test_no_private_rsa_part_appears_in_the_document_the_cli_logs_or_errors(
    rsa_keys_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issuer = rs256_issuer(rsa_keys_file)
    issued = issuer.issue(unsigned_credential(), "jwt")
    printed = CliRunner().invoke(main, ["keys", "did-web", "example.edu", "--keys-file", str(rsa_keys_file)])
    generated = CliRunner().invoke(main, ["keys", "generate", "--rsa", str(tmp_path / "new.json")])
    assert printed.exit_code == 0 and generated.exit_code == 0, printed.output + generated.output
    broken = json.loads(rsa_keys_file.read_text())
    broken["keys"][2]["e"] = "not base64url!"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(KeysFileError) as raised:
        load_keys(tmp_path / "broken.json")
    shown = [json.dumps(issuer.did_document()), issued.jwt or "", repr(issuer.keys), printed.output, generated.output]
    seen = " ".join([*shown, str(raised.value), caplog.text])
    secrets = rsa_secrets(rsa_keys_file) + rsa_secrets(tmp_path / "new.json")
    assert len(secrets) == 2 * len(RSA_PRIVATE_MEMBERS)
    assert not [secret for secret in secrets if secret in seen]
    assert json.loads(generated.stdout)["keys"][2].keys() == {"kty", "n", "e", "alg", "use", "kid"}


def test_rotation_adds_a_new_rsa_key_first_when_the_file_holds_one(rsa_keys_file: Path, tmp_path: Path) -> None:
    old = json.loads(rsa_keys_file.read_text())
    rotated = tmp_path / "rotated.json"
    rotated.write_text(json.dumps(rotate_key_set(old)))
    keys = load_keys(rotated)
    assert len(keys.published) == 6
    assert keys.rsa_id == json.loads(rotated.read_text())["keys"][2]["kid"] != old["keys"][2]["kid"]
    assert [jwk["kty"] for jwk in json.loads(rotated.read_text())["keys"]] == ["OKP", "EC", "RSA", "OKP", "EC", "RSA"]
