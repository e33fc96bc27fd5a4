"""`localfn keys generate` and `localfn verify`, run as the command line runs them (click's runner)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from localfn.cli import main
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import load_keys
from localfn.settings import IssuerSettings
from tests.support.signing import unsigned_credential


def test_keys_generate_writes_a_private_file_and_prints_only_public_parts(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    done = CliRunner().invoke(main, ["keys", "generate", str(path)])
    assert done.exit_code == 0, done.output
    written = json.loads(path.read_text())
    printed = json.loads(done.stdout)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [jwk["kid"] for jwk in printed["keys"]] == [jwk["kid"] for jwk in written["keys"]]
    assert not any(jwk["d"] in done.output for jwk in written["keys"])
    assert not any("d" in jwk for jwk in printed["keys"])
    keys = load_keys(path)
    assert printed["keys"][0]["kid"].startswith(f"{keys.ed25519_did}#")


def test_keys_generate_never_overwrites_keys_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    runner = CliRunner()
    assert runner.invoke(main, ["keys", "generate", str(path)]).exit_code == 0
    before = path.read_text()
    refused = runner.invoke(main, ["keys", "generate", str(path)])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert path.read_text() == before
    assert runner.invoke(main, ["keys", "generate", "--force", str(path)]).exit_code == 0
    assert path.read_text() != before


def test_keys_generate_takes_its_path_from_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "from-env.json"
    done = CliRunner().invoke(main, ["keys", "generate"], env={"LOCALFN_ISSUER__KEYS_FILE": str(path)})
    assert done.exit_code == 0, done.output
    assert load_keys(path).p256 is not None


def test_verify_answers_each_check_and_exits_1_when_not_valid(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    CliRunner().invoke(main, ["keys", "generate", str(keys_file)])
    issuer = CredentialIssuer(IssuerSettings(keys_file=keys_file))
    signed = issuer.issue(unsigned_credential(), "data-integrity").credential
    token = issuer.issue(unsigned_credential(), "jwt").jwt
    files = {
        "signed.json": json.dumps(signed),
        "token.jwt": f"{token}\n",
        # A generate-badge response: its credential_jwt is what was issued.
        "response.json": json.dumps({"credential": signed, "credential_jwt": token}),
        "tampered.json": json.dumps({**signed, "name": "Forged"}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    runner = CliRunner()
    for name in ("signed.json", "token.jwt", "response.json"):
        done = runner.invoke(main, ["verify", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        assert "valid" in done.output and "NOT VALID" not in done.output
    tampered = runner.invoke(main, ["verify", str(tmp_path / "tampered.json")])
    assert tampered.exit_code == 1
    assert "NOT VALID" in tampered.output
    assert "FAILED signature: the signature does not match the credential: it was changed after signing" in tampered.output


def test_verify_says_what_a_file_that_is_no_credential_is(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    done = CliRunner().invoke(main, ["verify", str(path)])
    assert done.exit_code == 1 and "neither a VC-JWT nor valid JSON" in done.output
