"""Who is calling, and who may call what.

Every route states the contract's "who" column by taking exactly one of the
aliases at the bottom of this file (``AdminOnly``, ``SelfOrAdmin`` ...), so
the rule lives here and nowhere else. A missing or unknown token is 401; a
valid token acting outside its reach is 403, also when a member asks for
another member's data (one answer for "not yours", whatever exists). These
checks only read, so a refused request changes nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inmail.api.deps import CtxDep, MemberId, MessageId, SettingsDep
from inmail.api.errors import Unauthorized
from inmail.api.schemas import SendMessageIn
from inmail.domain.errors import Forbidden
from inmail.service import messages, tokens


@dataclass(frozen=True)
class Caller:
    member_id: str | None  # None for the admin token (the operator's platform)
    token: str  # kept for the idempotency scope and for sealing stored answers

    @property
    def is_admin(self) -> bool:
        return self.member_id is None


_bearer = HTTPBearer(
    auto_error=False,
    description="The admin token (INMAIL_ADMIN_TOKEN) or a member token issued by the admin.",
)


def current_caller(
    ctx: CtxDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or not credentials.credentials:
        raise Unauthorized()
    token = credentials.credentials
    admin = settings.admin_token
    # Constant-time, so the admin token cannot be guessed byte by byte.
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        return Caller(member_id=None, token=token)
    member_id = tokens.member_for_token(ctx, token)
    if member_id is None:
        raise Unauthorized("the token is not valid")
    return Caller(member_id=member_id, token=token)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def _not_yours() -> Forbidden:
    return Forbidden("a member token acts only as its own member")


def admin_only(caller: CurrentCaller) -> Caller:
    if not caller.is_admin:
        raise Forbidden("only the admin token may do this")
    return caller


def self_or_admin(caller: CurrentCaller, member_id: MemberId) -> str:
    """The member of the path, when the caller may act as them."""
    if not caller.is_admin and caller.member_id != member_id:
        raise _not_yours()
    return member_id


def sender_or_admin(caller: CurrentCaller, message: SendMessageIn) -> SendMessageIn:
    """The message to send, when the caller may send as its ``from``."""
    if not caller.is_admin and caller.member_id != message.sender:
        raise Forbidden("a member token sends only as itself")
    return message


def party_or_admin(caller: CurrentCaller, ctx: CtxDep, message_id: MessageId) -> int:
    if not caller.is_admin and caller.member_id not in messages.message_parties(ctx, message_id):
        raise Forbidden("only the sender and the recipient may read a message")
    return message_id


def recipient_or_admin(caller: CurrentCaller, ctx: CtxDep, message_id: MessageId) -> int:
    """A reply is written by the recipient of the message it answers."""
    if not caller.is_admin and caller.member_id != messages.message_parties(ctx, message_id)[1]:
        raise Forbidden("only the recipient of a message may reply to it")
    return message_id


@dataclass(frozen=True)
class PartyAct:
    message_id: int
    member_id: str


def sender_or_recipient(caller: CurrentCaller, ctx: CtxDep, message_id: MessageId) -> PartyAct:
    # Deleting hides a message from the caller's own lists; the admin token
    # has no lists, so the contract leaves it out of this route.
    if caller.member_id is None:
        raise Forbidden("only the sender or the recipient may delete a message")
    if caller.member_id not in messages.message_parties(ctx, message_id):
        raise Forbidden("only the sender or the recipient may delete a message")
    return PartyAct(message_id, caller.member_id)


# The "who" column, one alias per value.
AdminOrAnyMember = CurrentCaller
AdminOnly = Annotated[Caller, Depends(admin_only)]
SelfOrAdmin = Annotated[str, Depends(self_or_admin)]
SenderOrAdmin = Annotated[SendMessageIn, Depends(sender_or_admin)]
PartyOrAdmin = Annotated[int, Depends(party_or_admin)]
RecipientOrAdmin = Annotated[int, Depends(recipient_or_admin)]
SenderOrRecipient = Annotated[PartyAct, Depends(sender_or_recipient)]
