"""Money as text is ASCII digits: Python's Decimal takes more than money should."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.money import InvalidMoneyAmount, money


@pytest.mark.parametrize(
    "text", ["\uff11\uff12\uff13", "\u0663", "1_000", " 1.00 ", "1e3", "+1", "Infinity", ""]
)
def test_lenient_decimal_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidMoneyAmount) as raised:
        money(text, "amount")
    assert raised.value.fields == ("amount",)


@pytest.mark.parametrize(
    ("text", "cents"), [("123", "123.00"), ("-0.5", "-0.50"), ("7.25", "7.25")]
)
def test_plain_decimal_text_is_money(text: str, cents: str) -> None:
    assert money(text) == Decimal(cents)
