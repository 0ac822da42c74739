"""What a Xero user does by hand in Xero's screens, which the integration must notice: void or
delete a document, archive or merge a contact, archive or delete an item. Each change stamps
UpdatedDateUTC (what a poll with If-Modified-Since finds) and, for contacts, invoices and credit
notes, queues the webhook event Xero sends (Xero has no webhooks for items)."""

from __future__ import annotations

from typing import Any

from local.xero_emulator.replies import ms_time
from local.xero_emulator.state import EmulatorState, Organisation


class RefusedByXero(ValueError):
    """Xero's screens would not let the user do this."""


class ByHand:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def _touch(self, org: Organisation, collection: str, document: dict[str, Any]) -> None:
        document["UpdatedDateUTC"] = ms_time(self.state.clock())
        self.state.webhooks.changed(org, collection, document, created=False)

    def _document(self, org: Organisation, document_id: str) -> tuple[str, dict[str, Any]]:
        if document_id in org.invoices:
            return "Invoices", org.invoices[document_id]
        if document_id in org.credit_notes:
            return "CreditNotes", org.credit_notes[document_id]
        raise KeyError(f"no invoice or credit note {document_id}")

    def void(self, document_id: str, org: Organisation | None = None) -> dict[str, Any]:
        """Void an authorised invoice or credit note with nothing paid or allocated."""
        org = org or self.state.organisation()
        with self.state.lock:
            collection, document = self._document(org, document_id)
            if document["Status"] != "AUTHORISED":
                raise RefusedByXero(f"only an authorised document is voided: {document['Status']}")
            if document.get("AmountPaid") or document.get("AmountCredited"):
                raise RefusedByXero("remove the payments and allocations first")
            if collection == "CreditNotes" and document.get("Allocations"):
                raise RefusedByXero("remove the allocations first")
            document["Status"] = "VOIDED"
            self._touch(org, collection, document)
            return document

    def delete(self, document_id: str, org: Organisation | None = None) -> dict[str, Any]:
        """Delete a draft or submitted invoice or credit note (an authorised one is voided)."""
        org = org or self.state.organisation()
        with self.state.lock:
            collection, document = self._document(org, document_id)
            if document["Status"] not in ("DRAFT", "SUBMITTED"):
                raise RefusedByXero(f"only a draft is deleted: {document['Status']}")
            document["Status"] = "DELETED"
            self._touch(org, collection, document)
            return document

    def archive_contact(self, contact_id: str, org: Organisation | None = None) -> dict[str, Any]:
        org = org or self.state.organisation()
        with self.state.lock:
            contact = org.contacts[contact_id]
            contact["ContactStatus"] = "ARCHIVED"
            self._touch(org, "Contacts", contact)
            return contact

    def merge_contact(
        self, merged_id: str, kept_id: str, org: Organisation | None = None
    ) -> dict[str, Any]:
        """Merge a contact into another, as Xero does: the merged one is archived and names the
        kept one (MergedToContactID); its invoices and credit notes move to the kept one."""
        org = org or self.state.organisation()
        if merged_id == kept_id:
            raise RefusedByXero("a contact is not merged into itself")
        with self.state.lock:
            merged, kept = org.contacts[merged_id], org.contacts[kept_id]
            merged.update(ContactStatus="ARCHIVED", MergedToContactID=kept_id)
            self._touch(org, "Contacts", merged)
            self._touch(org, "Contacts", kept)
            for collection, rows in (("Invoices", org.invoices), ("CreditNotes", org.credit_notes)):
                for document in rows.values():
                    if document.get("Contact", {}).get("ContactID") == merged_id:
                        document["Contact"] = kept
                        self._touch(org, collection, document)
            return merged

    def _item(self, org: Organisation, code_or_id: str) -> dict[str, Any]:
        found = org.items.get(code_or_id) or next(
            (i for i in org.items.values() if i.get("Code") == code_or_id), None
        )
        if found is None:
            raise KeyError(f"no item {code_or_id}")
        return found

    def archive_item(self, code_or_id: str, org: Organisation | None = None) -> dict[str, Any]:
        """Archive an item: it stays readable but is no longer sold (no status field in the
        spec's Item; the emulator also keeps its id in `org.archived_items`)."""
        org = org or self.state.organisation()
        with self.state.lock:
            item = self._item(org, code_or_id)
            item.update(IsSold=False, UpdatedDateUTC=ms_time(self.state.clock()))
            org.archived_items.add(str(item.get("ItemID") or item["Code"]))
            return item

    def delete_item(self, code_or_id: str, org: Organisation | None = None) -> dict[str, Any]:
        """Delete an item: gone from every list and look-up."""
        org = org or self.state.organisation()
        with self.state.lock:
            item = self._item(org, code_or_id)
            key = next(k for k, v in org.items.items() if v is item)
            return org.items.pop(key)
