"""Pulumi's passphrase secrets provider, for the `secure:` values of a stack file.

The scheme is the Pulumi CLI's (pkg/secrets/passphrase, sdk/go/common/resource/config/crypt.go):
- the stack file's `encryptionsalt` is `v1:<base64 salt>:<the word "pulumi" encrypted>`;
- the key is PBKDF2-HMAC-SHA256 of the passphrase and the salt, 1,000,000 iterations, 32 bytes;
- a value is `v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext and tag>`, no extra data.
The passphrase comes from PULUMI_CONFIG_PASSPHRASE (set, even empty) or the file named by
PULUMI_CONFIG_PASSPHRASE_FILE (whitespace trimmed), as the CLI reads them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ITERATIONS = 1_000_000
KEY_BYTES = 32
NONCE_BYTES = 12
CHECK_WORD = "pulumi"


class IncorrectPassphrase(Exception):
    """The passphrase does not open the stack's encryptionsalt."""


class BadCiphertext(Exception):
    """A value is not `v1:<nonce>:<ciphertext>` or does not decrypt with the stack's key."""


def passphrase_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return env["PULUMI_CONFIG_PASSPHRASE"]
    path = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        return Path(path).read_text().strip()
    return None


def _key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, ITERATIONS, KEY_BYTES)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadCiphertext("bad value: not base64") from None


class Crypter:
    """AES-256-GCM with a key derived from the passphrase and the stack's salt."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_state(cls, passphrase: str, state: str) -> Crypter:
        """The crypter of an `encryptionsalt`; raises IncorrectPassphrase as the CLI does."""
        parts = state.split(":", 2)
        if len(parts) != 3 or parts[0] != "v1":
            raise IncorrectPassphrase("malformed encryptionsalt (expected v1:<salt>:<check>)")
        try:
            crypter = cls(_key(passphrase, _b64(parts[1])))
            if crypter.decrypt(parts[2]) == CHECK_WORD:
                return crypter
        except BadCiphertext:
            pass
        raise IncorrectPassphrase("incorrect passphrase")

    @classmethod
    def new_state(cls, passphrase: str, salt: bytes) -> tuple[str, Crypter]:
        """A new `encryptionsalt` and its crypter (what `pulumi stack init` writes)."""
        crypter = cls(_key(passphrase, salt))
        state = f"v1:{base64.b64encode(salt).decode()}:{crypter.encrypt(CHECK_WORD)}"
        return state, crypter

    def decrypt(self, value: str) -> str:
        parts = value.split(":")
        if len(parts) != 3 or parts[0] != "v1":
            raise BadCiphertext("bad value (expected v1:<nonce>:<ciphertext>)")
        nonce, ciphertext = _b64(parts[1]), _b64(parts[2])
        if len(nonce) != NONCE_BYTES:
            raise BadCiphertext("bad value: nonce size is incorrect")
        try:
            return self._aead.decrypt(nonce, ciphertext, None).decode()
        except (InvalidTag, UnicodeDecodeError):
            raise BadCiphertext("does not decrypt with the stack's passphrase") from None

    def encrypt(self, plaintext: str, nonce: bytes | None = None) -> str:
        nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"
