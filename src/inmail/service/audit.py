"""The ledger's invariants, checked by ``inmail audit``, the admin route and
the tests after every run that writes (the checks: ``inmail.store.audit``)."""

from __future__ import annotations

from inmail.service.context import Context
from inmail.service.views import AuditReport, Check
from inmail.store.audit import CHECKS


def audit(ctx: Context) -> AuditReport:
    with ctx.unit_of_work(write=False) as work:
        return AuditReport([Check(*check(work.conn)) for check in CHECKS])
