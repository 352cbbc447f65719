"""Webhook signing secrets, sealed before they reach the database.

A signing secret must be read back to sign with, so it cannot be hashed like
a token. It is encrypted instead, with Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from the ``cryptography`` package), under a key derived
with HKDF-SHA256 from ``INMAIL_WEBHOOK_KEY`` or, when that is not set, from
``INMAIL_ADMIN_TOKEN``. Neither is ever stored in the database, so a copy of
the database alone does not hand out a secret. Every process of a
deployment (server and workers) derives the same key from the same
environment; with neither set, each process has a random key of its own
(fine for a one-process demo: its secrets are unreadable after a restart).
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32  # the contract asks for at least 24
_INFO = b"inmail webhook secrets v1"


class SecretUnreadable(Exception):
    """A sealed secret that this key cannot open (the key was changed)."""


def new_secret() -> str:
    """``whsec_`` and the base64 of random bytes: the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    def __init__(self, key_material: str | None) -> None:
        material = key_material.encode() if key_material else secrets.token_bytes(32)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                "the endpoint's secret cannot be opened with this key: INMAIL_WEBHOOK_KEY"
                " (or INMAIL_ADMIN_TOKEN) differs from when it was made; delete the"
                " endpoint and add it again"
            ) from exc
