"""Domain errors: one class per rule, each with its slug and title written out for clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class NamedError(Exception):
    """A refused command that clients know by name: its ``slug`` (the problem type)
    and ``title``, written out on every class, so that ``grep four-eyes-violation``
    finds the rule and editing a docstring changes no answer.

    A subclass without its own ``slug`` and ``title`` is refused as it is defined,
    so none can inherit its parent's by mistake.
    """

    slug: ClassVar[str]
    title: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in ("slug", "title") if name not in vars(cls)]
        if missing:
            raise TypeError(f"{cls.__name__} must name its own {' and '.join(missing)}")


class DomainError(NamedError):
    """A command refused by a rule of the policy.

    ``fields`` names the offending inputs, where there are any; ``figures`` the
    numbers the rule judged by (``limit``, ``used``, ``left`` ...), as JSON values
    that the problem answer carries beside ``detail``.
    """

    slug = "domain-error"
    title = "A business rule refused the command"

    def __init__(
        self,
        detail: str,
        *,
        fields: tuple[str, ...] = (),
        figures: Mapping[str, str | int | None] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields
        self.figures = dict(figures or {})


class RuleViolation(DomainError):
    slug = "rule-violation"
    title = "The command conflicts with the aggregate's current state or history"


class InvalidValue(DomainError):
    slug = "invalid-value"
    title = "A value is outside what the policy allows"


class NotPermitted(DomainError):
    slug = "not-permitted"
    title = "The acting principal may not do this, whatever their roles"


class FourEyesViolation(NotPermitted):
    slug = "four-eyes-violation"
    title = "Nobody approves their own submission"
