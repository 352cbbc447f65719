"""Plans: how many credits a month and the most a balance may hold.

Loaded from a TOML file of ``[plans.CODE]`` tables; the built-in defaults are
``pro`` 20/60, ``teams`` 30/90 and ``enterprise`` 50/150.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inmail.domain.errors import PlansFileError

PLAN_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_credits: int
    max_balance: int


DEFAULT_PLANS: dict[str, Plan] = {
    p.code: p
    for p in (
        Plan("pro", "Pro", 20, 60),
        Plan("teams", "Teams", 30, 90),
        Plan("enterprise", "Enterprise", 50, 150),
    )
}


def parse_plans(data: dict[str, Any]) -> dict[str, Plan]:
    """Plans from the parsed TOML document; every mistake is a PlansFileError."""
    table = data.get("plans")
    if not isinstance(table, dict) or not table:
        raise PlansFileError("the plans file needs at least one [plans.CODE] table")
    plans: dict[str, Plan] = {}
    for code, fields in table.items():
        if not PLAN_CODE.match(code):
            raise PlansFileError(f"plan code {code!r} must match {PLAN_CODE.pattern}")
        if not isinstance(fields, dict):
            raise PlansFileError(f"plan {code!r} must be a table")
        unknown = set(fields) - {"name", "monthly_credits", "max_balance"}
        if unknown:
            raise PlansFileError(f"plan {code!r} has unknown keys: {', '.join(sorted(unknown))}")
        monthly, cap = fields.get("monthly_credits"), fields.get("max_balance")
        name = fields.get("name", code.title())
        if not isinstance(name, str) or not name.strip():
            raise PlansFileError(f"plan {code!r}: name must be a non-empty string")
        for key, value in (("monthly_credits", monthly), ("max_balance", cap)):
            if type(value) is not int or value < 1:
                raise PlansFileError(f"plan {code!r}: {key} must be a whole number above 0")
        assert isinstance(monthly, int) and isinstance(cap, int)
        if cap < monthly:
            raise PlansFileError(f"plan {code!r}: max_balance must be at least monthly_credits")
        plans[code] = Plan(code, name, monthly, cap)
    return plans


def load_plans(path: str | Path | None) -> dict[str, Plan]:
    """The plans of ``path``, or the defaults when no file is named."""
    if path is None:
        return dict(DEFAULT_PLANS)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlansFileError(f"cannot read plans file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlansFileError(f"plans file {path} is not valid TOML: {exc}") from exc
    return parse_plans(data)
