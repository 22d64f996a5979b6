"""Every error class names its own problem type: a slug and a title written out,
unique and kebab-case, so that a slug can be grepped and no rename moves it."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from collections.abc import Iterator

import pytest

import application
import domain
from domain.errors import NamedError, RuleViolation

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _subclasses(cls: type[NamedError]) -> Iterator[type[NamedError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _error_classes() -> list[type[NamedError]]:
    """Every error class of the domain and the application (their modules all imported)."""
    for package in (domain, application):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    return [
        cls
        for cls in _subclasses(NamedError)
        if cls.__module__.split(".")[0] in ("domain", "application")
    ]


ERRORS = _error_classes()


def test_the_domain_and_application_errors_are_all_found() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"FourEyesViolation", "ContactRequired", "NotRiskOwner", "VersionMismatch"} <= names
    assert len(ERRORS) > 150


@pytest.mark.parametrize("error", ERRORS, ids=lambda cls: cls.__name__)
def test_each_error_writes_out_its_own_slug_and_title(error: type[NamedError]) -> None:
    assert isinstance(vars(error).get("slug"), str)
    assert KEBAB.match(error.slug), error.slug
    assert isinstance(vars(error).get("title"), str)
    assert error.title.strip() == error.title != ""


def test_slugs_are_unique() -> None:
    counts = Counter(cls.slug for cls in ERRORS)
    assert [slug for slug, n in counts.items() if n > 1] == []


def test_an_error_without_its_own_slug_and_title_cannot_be_defined() -> None:
    with pytest.raises(TypeError, match="Forgotten must name its own slug and title"):

        class Forgotten(RuleViolation):
            """Docstrings are not titles."""

    with pytest.raises(TypeError, match="Untitled must name its own title"):

        class Untitled(RuleViolation):
            slug = "untitled"
