"""The webhook body as the spec's example has it, and an event's key."""

from __future__ import annotations

import datetime as dt

from cbxero.domain.xero_events import EventCategory, WebhookDelivery, XeroEvent

EXAMPLE = {
    "events": [
        {
            "resourceUrl": "https://api.xero.com/api.xro/2.0/CreditNotes/55d84274-a3da-4829",
            "resourceId": "55d84274-a3da-4829-a7c0-0cab601b95cc",
            "tenantId": "aef86862-2015-4b6b-88bc-d89032cecc50",
            "tenantType": "ORGANISATION",
            "eventCategory": "CREDITNOTE",
            "eventType": "CREATE",
            "eventDateUtc": "2025-12-02T00:44:09.923",
            "data": {"Type": "ACCPAYCREDIT", "Status": "DRAFT"},
        }
    ],
    "firstEventSequence": 76,
    "lastEventSequence": 76,
    "entropy": "FXNGWLCCGVANWHKILRUB",
}


def test_the_specs_example_reads_with_its_time_in_utc() -> None:
    (event,) = WebhookDelivery.model_validate(EXAMPLE).events
    assert event.event_category is EventCategory.CREDIT_NOTE
    assert event.event_date_utc == dt.datetime(2025, 12, 2, 0, 44, 9, 923000, tzinfo=dt.UTC)


def test_an_intent_to_receive_check_has_no_events() -> None:
    check = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "X"}
    assert WebhookDelivery.model_validate(check).events == ()


def test_the_same_event_delivered_twice_has_one_key_and_another_event_another() -> None:
    (event,) = WebhookDelivery.model_validate(EXAMPLE).events
    again = XeroEvent.model_validate(EXAMPLE["events"][0])  # type: ignore[index]
    later = event.model_copy(update={"event_date_utc": event.event_date_utc + dt.timedelta(1)})
    assert event.key == again.key != later.key
