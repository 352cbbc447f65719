"""Renewal arithmetic at, below and above the cap, and plans files."""

import pytest

from inmail.domain.credits import forfeit_at_next_renewal, next_renewal_credits, renewal
from inmail.domain.errors import PlansFileError
from inmail.domain.plans import DEFAULT_PLANS, load_plans, parse_plans

PRO = DEFAULT_PLANS["pro"]  # 20 a month, at most 60


@pytest.mark.parametrize(
    ("balance", "grant", "forfeit", "after"),
    [
        (0, 20, 0, 20),
        (39, 20, 0, 59),
        (40, 20, 0, 60),  # exactly to the cap: nothing lost
        (41, 20, 1, 60),
        (58, 20, 18, 60),
        (60, 20, 20, 60),  # at the cap: the whole grant is forfeited
        (75, 20, 35, 60),  # above the cap (refunds, adjustments): trimmed back
    ],
)
def test_renewal_is_a_full_grant_then_a_forfeit_down_to_the_cap(balance, grant, forfeit, after):
    result = renewal(balance, PRO)
    assert (result.grant, result.forfeit) == (grant, forfeit)
    assert balance + result.grant - result.forfeit == after


@pytest.mark.parametrize(
    ("balance", "adds", "trims"), [(0, 20, 0), (45, 15, 5), (60, 0, 20), (75, 0, 35)]
)
def test_next_renewal_summary(balance, adds, trims):
    assert next_renewal_credits(balance, PRO) == adds
    assert forfeit_at_next_renewal(balance, PRO) == trims


def test_default_plans():
    assert {(p.code, p.monthly_credits, p.max_balance) for p in DEFAULT_PLANS.values()} == {
        ("pro", 20, 60),
        ("teams", 30, 90),
        ("enterprise", 50, 150),
    }


def test_plans_file_is_loaded(tmp_path):
    path = tmp_path / "plans.toml"
    path.write_text('[plans.solo]\nname = "Solo"\nmonthly_credits = 5\nmax_balance = 15\n')
    plans = load_plans(path)
    assert list(plans) == ["solo"]
    assert plans["solo"].max_balance == 15


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plans = 1", "at least one"),
        ("[plans.pro]\nmonthly_credits = 0\nmax_balance = 5", "monthly_credits"),
        ("[plans.pro]\nmonthly_credits = 5\nmax_balance = 4", "at least monthly_credits"),
        ('[plans.pro]\nmonthly_credits = "5"\nmax_balance = 9', "monthly_credits"),
        ("[plans.pro]\nmonthly_credits = 5\nmax_balance = 9\nbonus = 1", "unknown keys"),
        ("[plans.Pro]\nmonthly_credits = 5\nmax_balance = 9", "plan code"),
        ("[plans.pro\n", "not valid TOML"),
    ],
)
def test_a_bad_plans_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "plans.toml"
    path.write_text(text)
    with pytest.raises(PlansFileError, match=message):
        load_plans(path)


def test_a_missing_plans_file_is_a_clear_error(tmp_path):
    with pytest.raises(PlansFileError, match="cannot read"):
        load_plans(tmp_path / "nope.toml")


def test_parse_rejects_non_table_plan():
    with pytest.raises(PlansFileError, match="must be a table"):
        parse_plans({"plans": {"pro": 3}})
