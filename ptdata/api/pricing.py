"""What a send costs: segments × the price per segment you set once.

The price is read when the client is built: ``PowerTextor(price_per_segment=...)`` beats
``POWERTEXTOR_PRICE_PER_SEGMENT``, which beats none (then no cost is shown). It is an
estimate from the segment count: carriers' surcharges and your plan's bundles are not known
here.

>>> price = read_price("0.0079")
>>> cost_text(30, price)
'est. $0.237 (30 segments × $0.0079)'
>>> money(cost_of(1_000, price))
'$7.90'
>>> read_price(None, environ={}) is None
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload

from ptdata.api.errors import UsageError

__all__ = ["PRICE_ENV", "cost_of", "cost_text", "money", "read_price"]

PRICE_ENV = "POWERTEXTOR_PRICE_PER_SEGMENT"


def read_price(value: Any = None, *, environ: Mapping[str, str] | None = None) -> Decimal | None:
    """The price per segment: ``value``, else ``POWERTEXTOR_PRICE_PER_SEGMENT``, else None.

    Takes a number or text like ``"0.0079"`` or ``"$0.0079"``; a price that is not a number
    of 0 or more is a ``UsageError`` saying where it came from.

    >>> read_price(0.0079), read_price(None, environ={"POWERTEXTOR_PRICE_PER_SEGMENT": "$0.01"})
    (Decimal('0.0079'), Decimal('0.01'))
    """
    source = "price_per_segment"
    if value is None:
        value = (os.environ if environ is None else environ).get(PRICE_ENV)
        source = PRICE_ENV
        if value is None or not str(value).strip():
            return None
    text = str(value).strip().removeprefix("$").strip()
    try:
        price = Decimal(text)
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite() or price < 0:
        raise UsageError(
            f"{source} {str(value)!r} is not a price: write the price of one "
            "segment in dollars, e.g. 0.0079"
        )
    return price


@overload
def cost_of(segments: int, price: Decimal) -> Decimal: ...
@overload
def cost_of(segments: int, price: None) -> None: ...
def cost_of(segments: int, price: Decimal | None) -> Decimal | None:
    """``segments × price``, or None when no price is set."""
    return None if price is None else Decimal(int(segments)) * price


def money(amount: Decimal) -> str:
    """Dollars to the cent, with more digits when under a dollar (a few segments cost cents).

    >>> money(Decimal("12.345")), money(Decimal("0.0237")), money(Decimal("0.5"))
    ('$12.35', '$0.0237', '$0.50')
    """
    if amount >= 1 or amount == 0:
        return f"${amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    digits = format(amount.quantize(Decimal("0.0001"), ROUND_HALF_UP), "f").rstrip("0")
    return "$" + (digits if len(digits.split(".")[1]) >= 2 else f"{Decimal(digits):.2f}")


def cost_text(segments: int, price: Decimal | None) -> str | None:
    """``est. $0.237 (30 segments × $0.0079)``, or None when no price is set."""
    if price is None:
        return None
    unit = "segment" if segments == 1 else "segments"
    return f"est. {money(cost_of(segments, price))} ({segments:,} {unit} × {money(price)})"
