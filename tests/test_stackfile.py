"""Stack files are read as the Pulumi CLI reads them (yaml.v3 and Pulumi's config.Value), and
`secure:` values are decrypted with the passphrase provider's scheme when the passphrase is set.
How the gate shows such stacks comes from its steps in this process (tests/inprocess.py), but for
an invalid decrypted secret, which the gate's process reports (the value scrubbed from it)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline import passphrase
from offline.passphrase import Crypter
from offline.stackfile import SECRET_PLACEHOLDER, StackFileError, read_stack
from tests.inprocess import preview
from tests.test_offline_preview import copy_program, dev_stack_config, run_preview

PASSPHRASE = "correct horse battery staple"
SALT = bytes(range(8))


@pytest.fixture(autouse=True)
def _derive_each_key_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PBKDF2 with the CLI's million iterations takes a third of a second: in this process each
    (passphrase, salt) is derived once (the gate's own process derives as it always does)."""
    monkeypatch.setattr(passphrase, "_key", _cached_key)
    yield


_cached_key = functools.cache(passphrase._key)


def stack(tmp_path: Path, text: str, name: str = "s") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: proj\nruntime: python\n")
    (tmp_path / f"Pulumi.{name}.yaml").write_text(text)
    return tmp_path


def test_scalars_reach_the_program_as_the_cli_passes_them(tmp_path: Path) -> None:
    """Expected values are what `pulumi config --json` of the Pulumi CLI (v3, yaml.v3) showed
    for the same stack file."""
    files = read_stack(
        stack(
            tmp_path,
            """config:
  proj:expires: 2025-12-31
  proj:at: 2025-12-31T10:00:00.5+02:00
  proj:port: 0x1F
  proj:old: 017
  proj:flag: yes
  proj:yes: True
  proj:ratio: 1.50
  proj:big: 1e6
  proj:small: 0.00001
  proj:quoted: "0x1F"
  proj:empty:
  proj:tags:
    expires: 2025-12-31
    at: 2025-12-31T10:00:00Z
    spaced: 2025-12-31 10:00:00
    short: 2025-1-2
    cost: 1_234
    hex: 0x1F
    octal: 0o17
    on: yes
    flag: True
    ratio: 1.50
    whole: 1e3
    quoted: "1234"
    none: ~
    notadate: 2025-13-01
  proj:nothing: {}
  proj:list: []
""",
        ),
        "s",
    )
    config = files.config
    assert config["proj:expires"] == "2025-12-31 00:00:00 +0000 UTC"
    assert config["proj:at"] == "2025-12-31 10:00:00.5 +0200 +0200"
    assert config["proj:port"] == "31"
    assert config["proj:old"] == "15"
    assert config["proj:flag"] == "yes"
    assert config["proj:yes"] == "true"
    assert config["proj:ratio"] == "1.5"
    assert config["proj:big"] == "1000000"
    assert config["proj:small"] == "0.00001"
    assert config["proj:quoted"] == "0x1F"
    assert config["proj:empty"] == ""
    assert json.loads(config["proj:tags"]) == {
        "expires": "2025-12-31 00:00:00 +0000 UTC",
        "at": "2025-12-31 10:00:00 +0000 UTC",
        "spaced": "2025-12-31 10:00:00 +0000 UTC",
        "short": "2025-01-02 00:00:00 +0000 UTC",
        "cost": 1234,
        "hex": 31,
        "octal": 15,
        "on": "yes",
        "flag": True,
        "ratio": 1.5,
        "whole": 1000,
        "quoted": "1234",
        "none": None,
        "notadate": "2025-13-01",
    }
    assert '"whole": 1000,' in config["proj:tags"]  # as Go's encoding/json writes 1e3
    # An empty mapping or list is passed as empty, not as "".
    assert config["proj:nothing"] == "{}"
    assert config["proj:list"] == "[]"


def test_duplicate_keys_are_rejected_like_the_cli(tmp_path: Path) -> None:
    program = stack(tmp_path, "config:\n  proj:a: 1\n  proj:tags:\n    x: 1\n    x: 2\n")
    with pytest.raises(StackFileError, match=r'Pulumi.s.yaml:5: mapping key "x" already defined'):
        read_stack(program, "s")
    program = stack(tmp_path, "config:\n  proj:a: 1\n  proj:a: 2\n")
    with pytest.raises(StackFileError, match='mapping key "proj:a" already defined at line 2'):
        read_stack(program, "s")


def test_merge_keys_apply_with_explicit_keys_winning(tmp_path: Path) -> None:
    files = read_stack(
        stack(
            tmp_path,
            "base: &b {x: 1, y: 2}\nconfig:\n  proj:o:\n    <<: *b\n    y: 3\n",
        ),
        "s",
    )
    assert json.loads(files.config["proj:o"]) == {"x": 1, "y": 3}


def test_an_unquoted_date_in_tags_previews_instead_of_crashing(tmp_path: Path) -> None:
    config = dev_stack_config()
    program = copy_program(tmp_path, "dated", config)
    text = (program / "Pulumi.dated.yaml").read_text()
    text = text.replace("    team: platform\n", "    team: platform\n    expires: 2025-12-31\n")
    (program / "Pulumi.dated.yaml").write_text(text)
    result = preview("dated", program=program)
    assert result.code == 0, result.errors
    assert '"expires": "2025-12-31 00:00:00 +0000 UTC"' in result.stdout


# --- secrets ----------------------------------------------------------------------------------


@functools.cache
def passphrase_state() -> tuple[str, Crypter]:
    """PASSPHRASE's state and crypter for SALT, derived once (1,000,000 PBKDF2 rounds)."""
    return Crypter.new_state(PASSPHRASE, SALT)


def encrypted_stack(tmp_path: Path, address: str) -> Path:
    """The dev stack with primaries[0].address a secret, encrypted as `pulumi config set
    --secret --path` does with the passphrase provider."""
    state, crypter = passphrase_state()
    config = dev_stack_config()
    config["kurl-lb:primaries"][0]["address"] = {"secure": crypter.encrypt(address)}
    program = copy_program(tmp_path, "sec", config)
    path = program / "Pulumi.sec.yaml"
    path.write_text(f"encryptionsalt: {state}\n" + path.read_text())
    return program


def test_a_secret_without_the_passphrase_is_named_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    program = encrypted_stack(tmp_path, "10.0.1.10")
    files = read_stack(program, "sec")
    assert files.undecrypted == ["kurl-lb:primaries[0].address"]
    assert json.loads(files.config["kurl-lb:primaries"])[0]["address"] == SECRET_PLACEHOLDER
    result = preview("sec", program=program)
    # Unknown, like an output: the address's checks wait, the stack renders (issue 20 item 8).
    assert result.code == 0, result.errors
    assert "kurl-lb:primaries[0].address is a secret the offline preview cannot decrypt" in (
        result.stdout
    )
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stdout
    assert "is not an IPv4 address" not in result.stdout + "\n".join(result.errors)


def test_the_passphrase_decrypts_secrets_so_ci_can_check_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    program = encrypted_stack(tmp_path, "10.0.1.10")
    files = read_stack(program, "sec")
    assert json.loads(files.config["kurl-lb:primaries"])[0]["address"] == "10.0.1.10"
    assert files.secret_keys == ["kurl-lb:primaries"]
    assert files.undecrypted == []
    result = preview("sec", program=program)
    assert result.code == 0, result.errors
    assert "10.0.1.10" not in result.stdout  # the decrypted value is never printed
    # A secret key's value reaches the resource as a secret (shown [secret]), never as plaintext.
    assert re.search(r'targetId +: "?\[secret\]"?', result.stdout)


def test_a_decrypted_secret_that_is_invalid_is_reported_without_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    program = encrypted_stack(tmp_path, "8.8.8.8")
    result = run_preview("--program", str(program), "--stack", "sec", "--no-policy")
    assert result.returncode == 2
    assert "kurl-lb:primaries[0].address" in result.stderr
    assert "is not a private IPv4 address" in result.stderr
    assert "8.8.8.8" not in result.stderr + result.stdout


def test_a_wrong_passphrase_is_an_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "wrong")
    program = encrypted_stack(tmp_path, "10.0.1.10")
    with pytest.raises(StackFileError, match=r"Pulumi.sec.yaml: incorrect passphrase"):
        read_stack(program, "sec")


def test_the_passphrase_file_is_read_like_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    phrase_file = tmp_path / "phrase"
    phrase_file.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase_file))
    sub = tmp_path / "prog"
    sub.mkdir()
    program = encrypted_stack(sub, "10.0.1.10")
    assert json.loads(read_stack(program, "sec").config["kurl-lb:primaries"])[0]["address"] == (
        "10.0.1.10"
    )


def test_a_value_pulumi_encrypted_decrypts() -> None:
    """A state and value in the CLI's format (v1:<salt>:<check>, v1:<nonce>:<ct+tag>),
    made with a fixed nonce, decrypt to the plaintext; a tampered one does not."""
    state, crypter = Crypter.new_state("x", b"saltsalt")
    value = crypter.encrypt("hello", nonce=bytes(12))
    assert value.startswith("v1:AAAAAAAAAAAAAAAA:")
    assert Crypter.from_state("x", state).decrypt(value) == "hello"
    tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception, match="does not decrypt"):
        Crypter.from_state("x", state).decrypt(tampered)
