"""How this process sends webhooks: the key that opens the endpoints'
secrets, whether private addresses are allowed, and the attempt timeout."""

from __future__ import annotations

from dataclasses import dataclass, field

from inmail.domain.webhooks import TIMEOUT_S
from inmail.service.secret_box import SecretBox


@dataclass(frozen=True)
class WebhookConfig:
    box: SecretBox = field(default_factory=lambda: SecretBox(None))
    # INMAIL_WEBHOOK_ALLOW_PRIVATE=true: loopback, private and link-local
    # addresses too (a receiver on the same machine or network).
    allow_private: bool = False
    timeout_s: float = TIMEOUT_S
