"""Money: Decimal CNY with two decimal places, never float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidValue

CENT = Decimal("0.01")
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""Money as text: ASCII digits only. Python's Decimal also takes full-width and other
Unicode digits, ``_`` separators, surrounding spaces and exponents; money does not."""


class InvalidMoneyAmount(InvalidValue):
    slug = "invalid-money-amount"
    title = "A money amount must be a finite decimal with at most two decimal places"


class AmountNotPositive(InvalidValue):
    slug = "amount-not-positive"
    title = "The amount must be greater than zero"


class AmountNegative(InvalidValue):
    slug = "amount-negative"
    title = "The amount must not be negative"


def money(value: Decimal | int | str, field: str = "amount") -> Decimal:
    """Return ``value`` as a two-place Decimal, refusing floats and sub-cent precision."""
    if isinstance(value, float):
        raise InvalidMoneyAmount(f"{field} must be a decimal string, not a float", fields=(field,))
    if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value):
        raise InvalidMoneyAmount(
            f"{field} must be written with the digits 0-9 and a decimal point", fields=(field,)
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidMoneyAmount(f"{field} is not a decimal number", fields=(field,)) from None
    if not amount.is_finite():
        raise InvalidMoneyAmount(f"{field} is not a finite number", fields=(field,))
    try:
        # quantize raises InvalidOperation beyond the context's 28 significant digits.
        cents = amount.quantize(CENT)
    except InvalidOperation:
        raise InvalidMoneyAmount(f"{field} has too many digits", fields=(field,)) from None
    if amount != cents:
        raise InvalidMoneyAmount(f"{field} must have at most two decimal places", fields=(field,))
    return cents


def positive_money(value: Decimal | int | str, field: str = "amount") -> Decimal:
    amount = money(value, field)
    if amount <= 0:
        raise AmountNotPositive(f"{field} must be greater than zero", fields=(field,))
    return amount


def non_negative_money(value: Decimal | int | str, field: str = "amount") -> Decimal:
    amount = money(value, field)
    if amount < 0:
        raise AmountNegative(f"{field} must not be negative", fields=(field,))
    return amount
