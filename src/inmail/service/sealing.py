"""Stored idempotent answers are sealed with a key only the caller's token
gives: the answer to ``POST /v1/members/{id}/tokens`` is a live token, and
"tokens are stored hashed" must hold for the idempotency table too. The
database keeps only the token's SHA-256, from which the key cannot be found.

The cipher is HMAC-SHA256 in counter mode (a PRF keystream) over a random
nonce: the standard library has no block cipher, and confidentiality is all
that is needed (whoever can write the table can change answers anyway).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

NONCE_BYTES = 16
_BLOCK = hashlib.sha256().digest_size
PREFIX = "v1."


def _key(token: str) -> bytes:
    return hmac.new(token.encode(), b"inmail idempotent answer", hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for counter in range(-(-length // _BLOCK))
    )
    return b"".join(blocks)[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data) ^ int.from_bytes(stream)).to_bytes(len(data))


def seal(token: str, text: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = text.encode()
    cipher = _xor(data, _keystream(_key(token), nonce, len(data)))
    return PREFIX + base64.b64encode(nonce + cipher).decode()


def unseal(token: str, sealed: str) -> str:
    raw = base64.b64decode(sealed.removeprefix(PREFIX))
    nonce, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    return _xor(cipher, _keystream(_key(token), nonce, len(cipher))).decode()
