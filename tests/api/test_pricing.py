"""The price per segment is set once (argument, else environment, else none) and turns
segment counts into the cost estimates the form and the CLI show."""

from __future__ import annotations

from decimal import Decimal

import pytest

import ptdata
from ptdata.api.errors import UsageError
from ptdata.api.pricing import PRICE_ENV, cost_text, money, read_price


@pytest.mark.parametrize(
    "given, env, expected",
    [
        pytest.param("0.0079", "0.05", Decimal("0.0079"), id="argument-beats-environment"),
        pytest.param(None, "$0.05", Decimal("0.05"), id="environment-with-a-dollar-sign"),
        pytest.param(0.0079, None, Decimal("0.0079"), id="a-float-as-written"),
        pytest.param(None, None, None, id="none-set"),
        pytest.param(None, "  ", None, id="blank-environment"),
    ],
)
def test_the_client_reads_the_price_when_it_is_built(monkeypatch, given, env, expected):
    if env is None:
        monkeypatch.delenv(PRICE_ENV, raising=False)
    else:
        monkeypatch.setenv(PRICE_ENV, env)
    client = ptdata.PowerTextor(api_key="k", base_url="http://127.0.0.1:9", price_per_segment=given)
    monkeypatch.setenv(PRICE_ENV, "9.99")  # later changes do not reach a built client
    assert client.price_per_segment == expected


@pytest.mark.parametrize(
    "given, env, named",
    [
        pytest.param("cheap", None, "price_per_segment 'cheap'", id="argument"),
        pytest.param(None, "-0.01", f"{PRICE_ENV} '-0.01'", id="negative-environment"),
        pytest.param(None, "nan", f"{PRICE_ENV} 'nan'", id="nan"),
    ],
)
def test_a_price_that_is_not_one_says_where_it_came_from(monkeypatch, given, env, named):
    if env is not None:
        monkeypatch.setenv(PRICE_ENV, env)
    with pytest.raises(UsageError) as err:
        ptdata.PowerTextor(api_key="k", base_url="http://127.0.0.1:9", price_per_segment=given)
    assert str(err.value) == (
        f"{named} is not a price: write the price of one segment in dollars, e.g. 0.0079"
    )


def test_cost_text_is_exact_decimal_arithmetic():
    price = read_price("0.0079", environ={})
    assert cost_text(3, price) == "est. $0.0237 (3 segments × $0.0079)"
    assert cost_text(1, price) == "est. $0.0079 (1 segment × $0.0079)"
    assert cost_text(125_000, price) == "est. $987.50 (125,000 segments × $0.0079)"
    assert cost_text(3, None) is None
    assert money(Decimal("0.1") * 3) == "$0.30"
