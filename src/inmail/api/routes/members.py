"""Members, their tokens and their 1st-degree connections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator

from inmail.api import cursors
from inmail.api.auth import AdminOnly, AdminOrAnyMember, SelfOrAdmin
from inmail.api.cursors import MemberCursor
from inmail.api.deps import DEFAULT_LIMIT, CtxDep, Limit, MemberId
from inmail.api.idempotency import Idempotency, run_idempotent
from inmail.api.openapi import post_problems, problems
from inmail.api.schemas import (
    DirectoryEntry,
    DirectoryPage,
    MemberCreate,
    MemberOut,
    MemberPatch,
    TokenOut,
)
from inmail.api.types import NO_NUL_PATTERN, storable
from inmail.service import members, tokens

router = APIRouter(tags=["members"])

MemberA = Annotated[str, Path(description="A member id."), AfterValidator(storable)]
MemberB = Annotated[str, Path(description="Another member id."), AfterValidator(storable)]
DirectoryQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=members.QUERY_MAX,
        pattern=NO_NUL_PATTERN,
        description="The start of a member id or of any word of the name, any case.",
    ),
]


@router.get("/v1/members", responses=problems(401, 422))
def list_members(
    _: AdminOrAnyMember,
    ctx: CtxDep,
    q: DirectoryQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: MemberCursor = None,
) -> DirectoryPage:
    """Who: admin, any member. The directory, so members can find whom to
    write to, sorted by id."""
    page = members.directory(ctx, q=q, limit=limit, cursor=cursors.member_in(cursor))
    return DirectoryPage(
        members=[DirectoryEntry.of(member) for member in page.items],
        next_cursor=cursors.member_out(page.next_cursor),
    )


@router.post(
    "/v1/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    responses=post_problems(401, 403, 413, 422, s409="`conflict`: the id is taken."),
)
def create_member(body: MemberCreate, _: AdminOnly, idem: Idempotency, ctx: CtxDep) -> Response:
    """Who: admin."""
    return run_idempotent(
        ctx,
        idem,
        lambda: MemberOut.of(
            members.create_member(
                ctx,
                body.id,
                body.name,
                inmail_opt_out=body.inmail_opt_out,
                open_profile=body.open_profile,
            )
        ),
        status_code=status.HTTP_201_CREATED,
    )


@router.get("/v1/members/{id}", responses=problems(401, 403, 404, 422))
def get_member(member_id: SelfOrAdmin, ctx: CtxDep) -> MemberOut:
    """Who: self, admin."""
    return MemberOut.of(members.get_member(ctx, member_id))


@router.patch("/v1/members/{id}", responses=problems(401, 403, 404, 413, 422))
def update_member(member_id: SelfOrAdmin, body: MemberPatch, ctx: CtxDep) -> MemberOut:
    """Who: self, admin. Fields left out keep their value."""
    return MemberOut.of(
        members.update_member(
            ctx,
            member_id,
            name=body.name,
            inmail_opt_out=body.inmail_opt_out,
            open_profile=body.open_profile,
        )
    )


@router.post(
    "/v1/members/{id}/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenOut,
    responses=post_problems(401, 403, 404, 422),
)
def issue_token(member_id: MemberId, _: AdminOnly, idem: Idempotency, ctx: CtxDep) -> Response:
    """Who: admin. The token is shown once; only its hash is kept (a replayed
    answer is stored sealed with the admin token)."""
    return run_idempotent(
        ctx,
        idem,
        lambda: TokenOut(token=tokens.issue_token(ctx, member_id)),
        status_code=status.HTTP_201_CREATED,
    )


@router.put(
    "/v1/members/{a}/connections/{b}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def connect_members(a: MemberA, b: MemberB, _: AdminOnly, ctx: CtxDep) -> Response:
    """Who: admin. The connection is mutual; connecting twice is fine."""
    members.connect(ctx, a, b)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/v1/members/{a}/connections/{b}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problems(401, 403, 404, 422),
)
def disconnect_members(a: MemberA, b: MemberB, _: AdminOnly, ctx: CtxDep) -> Response:
    """Who: admin. Both directions go."""
    members.disconnect(ctx, a, b)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/members/{id}/connections", responses=problems(401, 403, 404, 422))
def list_connections(member_id: SelfOrAdmin, ctx: CtxDep) -> list[str]:
    """Who: self, admin. Member ids, sorted."""
    return members.list_connections(ctx, member_id)
