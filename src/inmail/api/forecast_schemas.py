"""The forecast's answer (API.md, section 4) as Pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from inmail.api.types import Out, Timestamp


class ForecastAssumptions(Out):
    sends_per_week: float
    response_rate: float
    response_days: int
    from_history: bool = Field(
        description="Some assumption was not given and came from the member's last 90 days."
    )
    from_history_fields: list[str] = Field(
        description="Which ones: sends_per_week, response_rate, response_days."
    )


class ForecastRenewal(Out):
    at: Timestamp
    kind: Literal["renewal", "end"] = Field(
        description="`end`: a cancelling subscription's end, which forfeits the balance."
    )
    balance_before: int
    granted: int
    forfeited: int
    balance_after: int
    p10: int
    p90: int


class PlanAdviceOut(Out):
    code: str
    expected_forfeited: int
    expected_shortfall: int


class ForecastAdvice(Out):
    best_plan: str
    plans: list[PlanAdviceOut]


class ForecastOut(Out):
    assumptions: ForecastAssumptions
    status: Literal["active", "cancelling", "none"] = Field(
        description="The subscription the forecast starts from."
    )
    plan: str | None
    balance: int
    as_of: Timestamp
    horizon: Timestamp = Field(description="The last renewal looked at, or the end.")
    ends_at: Timestamp | None = Field(description="The subscription's end, when it comes first.")
    renewals: list[ForecastRenewal]
    runs_out_at: Timestamp | None
    shortfall: int
    send_before_next_renewal: int
    advice: ForecastAdvice

    @classmethod
    def of_forecast(cls, result: Any, from_history: tuple[str, ...]) -> ForecastOut:
        a = result.assumptions
        return cls(
            assumptions=ForecastAssumptions(
                sends_per_week=a.sends_per_week,
                response_rate=a.response_rate,
                response_days=a.response_days,
                from_history=bool(from_history),
                from_history_fields=list(from_history),
            ),
            status=result.status,
            plan=result.plan,
            balance=result.balance,
            as_of=result.now,
            horizon=result.horizon,
            ends_at=result.ends_at,
            renewals=[ForecastRenewal.of(row) for row in result.renewals],
            runs_out_at=result.runs_out_at,
            shortfall=result.shortfall,
            send_before_next_renewal=result.send_before_next_renewal,
            advice=ForecastAdvice(
                best_plan=result.best_plan, plans=[PlanAdviceOut.of(p) for p in result.plans]
            ),
        )
