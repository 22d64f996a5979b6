"""Free text about a data subject: what a customer, or an agent, wrote about them.

Names and contacts are one value (``domain.customer.PersonalData``); everything
else written about a customer in words — a complaint's description, a survey
comment, a follow-up note — travels as ``PersonalText``, tagged with whose it is.
The application seals it under that customer's key whenever it is stored
(``application.personal``), so that erasing the customer makes it unreadable
everywhere at once. The domain only carries it; it never reads the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class PersonalText:
    """Words about ``subject`` (a customer's id).

    ``text`` holds the words as a command wrote them, or as a read opened them;
    ``sealed`` the ciphertext as it was loaded from the store, not opened (loading
    needs no key: only a read that shows the words does). Neither: erased. Both
    are kept out of ``repr``, so that no log line or traceback shows them.
    """

    subject: UUID
    text: str | None = field(default=None, repr=False)
    sealed: str | None = field(default=None, repr=False)

    @classmethod
    def about(cls, subject: UUID, text: str | None) -> PersonalText | None:
        """The words as written about ``subject``; None stays None (nothing was written)."""
        return None if text is None else cls(subject=subject, text=text)

    @classmethod
    def erased_for(cls, subject: UUID) -> PersonalText:
        return cls(subject=subject)

    @property
    def erased(self) -> bool:
        return self.text is None and self.sealed is None


FreeText = PersonalText | str
"""A free-text field of an event or a state: ``str`` in events recorded before
free text was sealed (it reads as it was written), ``PersonalText`` since."""
