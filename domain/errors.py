"""Domain errors: one class per rule, each with a stable slug for clients."""

from __future__ import annotations

import re
from typing import Any, ClassVar


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class DomainError(Exception):
    """A command refused by a rule of the policy.

    ``slug`` is derived from the class name (``ComplaintNotAssessed`` ->
    ``complaint-not-assessed``) so that the name of the rule is its identifier.
    ``fields`` names the offending inputs, where there are any.
    """

    slug: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "A business rule refused the command"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.slug = _slug(cls.__name__)
        if cls.__doc__:
            cls.title = cls.__doc__.strip().splitlines()[0].rstrip(".")

    def __init__(self, detail: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields


class RuleViolation(DomainError):
    """The command conflicts with the aggregate's current state or history."""


class InvalidValue(DomainError):
    """A value is outside what the policy allows."""


class NotPermitted(DomainError):
    """The acting principal may not do this, whatever their roles."""


class FourEyesViolation(NotPermitted):
    """Nobody approves their own submission."""
