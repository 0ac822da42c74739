"""Which Xero contact a marketplace customer may be linked to without asking (DESIGN.md promise 9).

A customer is linked automatically only on a strong, unique identity: a contact carrying the
customer's own id as its ContactNumber, or the one contact with the customer's tax number.
Email and name are weak (resellers' customers often share a billing mailbox, and names repeat):
they are suggestions the reseller confirms. A contact already linked to another customer of the
reseller is never taken automatically, whatever matched. The services gather the facts (the
contacts Xero found, who holds each); the decision is here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cbxero.domain.marketplace import MarketplaceCustomer
from cbxero.domain.xero import Contact

# How a contact matched, strongest first, as the reseller reads it.
_MATCHED_ON = {
    "ContactNumber": "the customer's id as contact number",
    "TaxNumber": "same tax number",
    "EmailAddress": "same email",
    "Name": "same name",
}


def _same(field: str, theirs: str, ours: str) -> bool:
    """Identities match exactly; an email or a name also in another case or spacing (as a
    suggestion only, and Xero refuses a second contact of the same name in any case)."""
    if field in _STRONG:
        return theirs == ours
    return " ".join(theirs.split()).casefold() == " ".join(ours.split()).casefold()


_STRONG = frozenset({"ContactNumber", "TaxNumber"})


@dataclass(frozen=True)
class Candidate:
    """A Xero contact that may be the customer, why, and which other customers hold it."""

    contact: Contact
    matched_on: tuple[str, ...]  # Xero field names, strongest first
    held_by: tuple[str, ...] = ()  # other customers of the reseller linked to this contact

    def describe(self) -> str:
        why = ", ".join(_MATCHED_ON[name] for name in self.matched_on)
        held = f"; linked to customer {', '.join(self.held_by)}" if self.held_by else ""
        return f"{self.contact.name} ({why}{held})"


@dataclass(frozen=True)
class ContactChoice:
    """The decision: link `linked`; or ask the reseller about `candidates`; or, with neither,
    make the customer's own contact (when its profile is complete)."""

    linked: Contact | None = None
    candidates: tuple[Candidate, ...] = ()

    @property
    def to_confirm(self) -> bool:
        return self.linked is None and bool(self.candidates)

    def message(self) -> str:
        """What the task says while the reseller has to decide."""
        return (
            "confirm or create the contact: Xero has contacts that may be this customer, "
            "but none by a unique identity of its own: "
            + "; ".join(candidate.describe() for candidate in self.candidates)
            + ". Map the customer to one of them, or create its contact, on the mapping screen"
        )


class ContactToConfirm(Exception):
    """The customer's contact needs the reseller's word; the task waits with the candidates."""

    def __init__(self, choice: ContactChoice) -> None:
        super().__init__(choice.message())
        self.choice = choice


def choose_contact(
    customer: MarketplaceCustomer,
    found: Sequence[Contact],
    holders: Mapping[str, Collection[str]],
) -> ContactChoice:
    """Decide which of the contacts Xero `found` for this customer (by its contact criteria) may
    be linked without asking.

    `holders` maps a contact id to the customers of the reseller already linked to it (the
    customer itself may be among them; it is not counted). Rules, in order:
    Archived contacts (merged ones among them) are never candidates, whatever matched.
    1. Contacts numbered with the customer's own id decide, if there are any: exactly one, held
       by no other customer, is linked; otherwise they are candidates to confirm.
    2. Else the contacts with the customer's tax number: exactly one, held by no other customer
       and numbered for nobody else (no ContactNumber, or this customer's), is linked.
    3. Else every contact that matched on anything is a candidate to confirm; none at all means
       the customer's own contact may be made.
    """
    criteria = customer.contact_criteria()
    candidates: dict[str, Candidate] = {}
    for contact in found:
        if contact.contact_id is None or contact.contact_id in candidates:
            continue
        if contact.archived or contact.merged_to_contact_id:  # never matched, never used
            continue
        values = contact.model_dump(by_alias=True)
        matched = tuple(
            name
            for name, value in criteria.items()
            if _same(name, str(values.get(name) or ""), value)
        )
        if not matched:
            continue
        others = tuple(sorted(set(holders.get(contact.contact_id, ())) - {customer.id}))
        candidates[contact.contact_id] = Candidate(contact, matched, others)
    ranked = tuple(candidates.values())

    numbered = [c for c in ranked if "ContactNumber" in c.matched_on]
    if numbered:
        if len(numbered) == 1 and not numbered[0].held_by:
            return ContactChoice(linked=numbered[0].contact)
        return ContactChoice(candidates=tuple(numbered))

    taxed = [c for c in ranked if "TaxNumber" in c.matched_on]
    if len(taxed) == 1:
        only = taxed[0]
        if not only.held_by and only.contact.contact_number in (None, "", customer.id):
            return ContactChoice(linked=only.contact)

    return ContactChoice(candidates=ranked)
