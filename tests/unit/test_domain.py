"""Settings, sync-task lifecycle and the invoice plan: the domain on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cbxero.domain.documents import DocumentPlan, ItemPriceMissing, UnmappedProducts, due_date
from cbxero.domain.errors import IllegalTransition
from cbxero.domain.marketplace import LineKind, MarketplaceOrder, Money, OrderLine, newest_creation
from cbxero.domain.model import ProductMapping, SyncTask, TaskStatus
from cbxero.domain.settings import DueDateRule, DueDateTerms, Settings
from cbxero.domain.xero import Invoice, Item, ItemSalesDetails

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def order(**changes: object) -> MarketplaceOrder:
    base: dict[str, object] = {
        "id": "1000010",
        "order_number": "SO000010",
        "type": "sales",
        "status": "completed",
        "customer_id": "1000001",
        "created_at": NOW,
        "total": Money(amount=Decimal("112.50"), currency="EUR"),
        "lines": (
            OrderLine(
                kind=LineKind.CHARGE,
                mpn="E3",
                description="Microsoft 365 E3 - recurring fee Nov 2026",
                quantity=Decimal(3),
                unit_price=Money(amount=Decimal("36.00"), currency="EUR"),
                extended_price=Money(amount=Decimal("108.00"), currency="EUR"),
            ),
            OrderLine(
                kind=LineKind.CHARGE,
                mpn="TEAMS",
                description="Teams Essentials - setup",
                quantity=Decimal(1),
                unit_price=Money(amount=Decimal("4.50"), currency="EUR"),
                extended_price=Money(amount=Decimal("4.50"), currency="EUR"),
            ),
        ),
    }
    return MarketplaceOrder.model_validate({**base, **changes})


MAPPINGS = {
    "E3": ProductMapping(
        reseller_id="r1", mpn="E3", product_name="Microsoft 365 E3", xero_item_code="M365-E3"
    ),
    "TEAMS": ProductMapping(
        reseller_id="r1", mpn="TEAMS", product_name="Teams Essentials", xero_item_code="TEAMS"
    ),
}
ITEMS = {
    "M365-E3": Item(
        code="M365-E3",
        name="M365 E3",
        description="Microsoft 365 E3 licence (Xero text)",
        sales_details=ItemSalesDetails(
            unit_price=Decimal("40.1234"), account_code="210", tax_type="OUTPUT"
        ),
    ),
    "TEAMS": Item(
        code="TEAMS", name="Teams", sales_details=ItemSalesDetails(unit_price=Decimal(5))
    ),
}


def plan(settings: Settings, the_order: MarketplaceOrder | None = None) -> Invoice:
    built = DocumentPlan.build(the_order or order(), settings, MAPPINGS, ITEMS)
    invoice = built.invoice("contact-9", settings)
    assert invoice is not None
    return invoice


class TestSettings:
    def test_defaults_are_documented_choices(self) -> None:
        s = Settings()
        assert (s.price_source, s.invoice_number_source, s.auto_sync) == (
            "marketplace",
            "xero",
            "off",
        )
        assert (s.notifications, s.invoice_target, s.downgrades) == (
            "errors_and_actions",
            "new",
            "refund",
        )
        assert s.new_invoice_status == "DRAFT"
        assert s.due_date_terms == DueDateTerms(rule=DueDateRule.DAYS_AFTER_INVOICE_DATE, days=14)

    def test_unknown_value_names_the_field(self) -> None:
        with pytest.raises(ValidationError) as refused:
            Settings.model_validate({"price_source": "cheapest"})
        assert refused.value.errors()[0]["loc"] == ("price_source",)

    def test_unknown_setting_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Settings.model_validate({"colour": "blue"})


class TestSyncTask:
    def test_completed_sales_order_makes_a_new_task_keyed_by_the_order(self) -> None:
        task = SyncTask.from_order("r1", order(), NOW)
        assert (task.status, task.task_id, task.order_total) == (
            TaskStatus.NEW,
            "1000010",
            Decimal("112.50"),
        )

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"status": "cancelled"}, "order is cancelled, not completed"),
            ({"type": "migration"}, "orders of type migration are not synced"),
        ],
    )
    def test_orders_we_do_not_sync_become_ignored_tasks_saying_why(
        self, changes: dict[str, str], reason: str
    ) -> None:
        task = SyncTask.from_order("r1", order(**changes), NOW)
        assert (task.status, task.reason) == (TaskStatus.IGNORED, reason)

    def test_the_cursor_stops_at_an_order_still_in_flight(self) -> None:
        hour = timedelta(hours=1)
        done = order(id="1", created_at=NOW - 2 * hour)
        busy = order(id="2", status="processing", created_at=NOW - hour)
        newest = order(id="3", created_at=NOW)
        assert newest_creation([done, newest]) == NOW
        assert newest_creation([done, busy, newest]) == NOW - hour  # read again next time
        assert newest_creation([]) is None

    def test_lifecycle_moves_and_counts_attempts(self) -> None:
        task = SyncTask.from_order("r1", order(), NOW)
        processing = task.moved_to(TaskStatus.PROCESSING, NOW)
        failed = processing.moved_to(TaskStatus.FAILED, NOW, reason="Xero 503")
        again = failed.moved_to(TaskStatus.PROCESSING, NOW)
        assert (again.attempts, failed.reason) == (2, "Xero 503")

    @pytest.mark.parametrize(
        ("path", "illegal"),
        [
            ([], TaskStatus.SYNCED),
            ([TaskStatus.PROCESSING, TaskStatus.SYNCED], TaskStatus.PROCESSING),
            ([TaskStatus.IGNORED], TaskStatus.PROCESSING),
        ],
    )
    def test_illegal_moves_are_refused(self, path: list[TaskStatus], illegal: TaskStatus) -> None:
        task = SyncTask.from_order("r1", order(), NOW)
        for status in path:
            task = task.moved_to(status, NOW)
        with pytest.raises(IllegalTransition):
            task.moved_to(illegal, NOW)

    @pytest.mark.parametrize("status", list(TaskStatus))
    def test_a_refused_move_reads_as_english(self, status: TaskStatus) -> None:
        """It once said "a ignored task cannot become ignored" (and "a action_required ...")."""
        task = SyncTask.from_order("r1", order(), NOW).model_copy(update={"status": status})
        illegal = next(s for s in (TaskStatus.SYNCED, TaskStatus.NEW) if not task.can_become(s))
        with pytest.raises(IllegalTransition) as refused:
            task.moved_to(illegal, NOW)
        assert str(refused.value) == f"task {task.order_id} is {status}: it cannot become {illegal}"

    def test_ignored_task_can_be_un_ignored(self) -> None:
        task = SyncTask.from_order("r1", order(), NOW).moved_to(TaskStatus.IGNORED, NOW)
        assert task.moved_to(TaskStatus.NEW, NOW).status is TaskStatus.NEW

    def test_processing_task_is_taken_over_only_after_its_lease(self) -> None:
        task = SyncTask.from_order("r1", order(), NOW).moved_to(TaskStatus.PROCESSING, NOW)
        assert not task.is_processable(NOW + timedelta(minutes=5))
        assert task.is_processable(NOW + timedelta(minutes=11))


class TestDocumentPlan:
    def test_marketplace_prices_descriptions_and_defaults(self) -> None:
        invoice = plan(Settings())
        first, second = invoice.line_items
        assert (first.description, first.quantity, first.unit_amount) == (
            "Microsoft 365 E3 - recurring fee Nov 2026",
            Decimal(3),
            Decimal("36.0000"),
        )
        assert (first.item_code, first.account_code, first.tax_type) == ("M365-E3", "210", "OUTPUT")
        # No account chosen anywhere: none is typed in; the accounting stage fills the
        # organisation's account 200 only while it is an active revenue account.
        assert (second.account_code, second.tax_type) == (None, None)
        assert invoice.reference == "SO000010"
        assert invoice.invoice_number is None
        assert (invoice.currency_code, invoice.status, invoice.line_amount_types) == (
            "EUR",
            "DRAFT",
            "Exclusive",
        )
        assert (invoice.date, invoice.due_date) == (date(2026, 11, 25), date(2026, 12, 9))

    def test_expected_total_equals_the_order_total(self) -> None:
        built = DocumentPlan.build(order(), Settings(), MAPPINGS, ITEMS)
        assert built.expected == built.planned_total == Decimal("112.50")

    def test_xero_prices_and_descriptions(self) -> None:
        invoice = plan(Settings(price_source="xero", description_source="xero"))
        assert [line.unit_amount for line in invoice.line_items] == [
            Decimal("40.1234"),
            Decimal("5.0000"),
        ]
        assert [line.description for line in invoice.line_items] == [
            "Microsoft 365 E3 licence (Xero text)",
            "Teams",
        ]

    def test_trim_keeps_only_the_product_name(self) -> None:
        invoice = plan(Settings(trim_descriptions=True))
        assert [line.description for line in invoice.line_items] == [
            "Microsoft 365 E3",
            "Teams Essentials",
        ]

    def test_marketplace_numbering_uses_the_order_number(self) -> None:
        invoice = plan(Settings(invoice_number_source="marketplace"))
        assert (invoice.invoice_number, invoice.reference) == ("SO000010", "SO000010")

    def test_accounting_defaults(self) -> None:
        invoice = plan(
            Settings(
                sales_account_code="400",
                tax_type="NONE",
                line_amount_types="Inclusive",
                new_invoice_status="AUTHORISED",
            )
        )
        assert (invoice.line_items[1].account_code, invoice.line_items[1].tax_type) == (
            "400",
            "NONE",
        )
        assert (invoice.line_amount_types, invoice.status) == ("Inclusive", "AUTHORISED")

    def test_unmapped_products_are_named(self) -> None:
        with pytest.raises(UnmappedProducts) as missing:
            DocumentPlan.build(order(), Settings(), {"E3": MAPPINGS["E3"]}, ITEMS)
        assert missing.value.mpns == ["TEAMS"]

    def test_xero_prices_need_an_item_price(self) -> None:
        with pytest.raises(ItemPriceMissing):
            DocumentPlan.build(order(), Settings(price_source="xero"), MAPPINGS, {})

    def test_xero_json_names(self) -> None:
        body = plan(Settings()).to_xero()
        assert body["Contact"] == {"ContactID": "contact-9"}
        assert body["LineItems"][0]["UnitAmount"] == 36.0  # a JSON number, as Xero wants
        assert body["Type"] == "ACCREC"
        assert body["Date"] == "2026-11-25"


@pytest.mark.parametrize(
    ("rule", "days", "expected"),
    [
        (DueDateRule.DAYS_AFTER_INVOICE_DATE, 30, date(2026, 12, 31)),
        (DueDateRule.DAYS_AFTER_END_OF_INVOICE_MONTH, 10, date(2026, 12, 10)),
        (DueDateRule.DAY_OF_FOLLOWING_MONTH, 31, date(2026, 12, 31)),
        (DueDateRule.DAY_OF_FOLLOWING_MONTH, 20, date(2026, 12, 20)),
    ],
)
def test_due_dates(rule: DueDateRule, days: int, expected: date) -> None:
    assert (
        due_date(
            date(2026, 12, 1) if days == 30 else date(2026, 11, 25),
            DueDateTerms(rule=rule, days=days),
        )
        == expected
    )


def test_xero_dates_are_read_from_xero_json() -> None:
    invoice = Invoice.model_validate(
        {"Contact": {"ContactID": "c"}, "LineItems": [], "Date": "/Date(1795564800000+0000)/"}
    )
    assert invoice.date == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("InvalidInput", 400),
        ("NotFound", 404),
        ("Conflict", 409),
        ("IllegalTransition", 409),
        ("ReconnectNeeded", 409),
        ("UpstreamUnavailable", 503),
    ],
)
def test_each_domain_error_has_one_status(error: str, status: int) -> None:
    from cbxero.domain import errors
    from cbxero.http import status_of

    assert status_of(getattr(errors, error)("x")) == status


def test_rate_limited_is_a_429() -> None:
    from cbxero.domain.errors import RateLimited
    from cbxero.http import status_of

    assert status_of(RateLimited("x", retry_after=3)) == 429


def test_an_order_mark_is_read_back_and_fits_xero_s_description() -> None:
    from cbxero.domain.documents import DESCRIPTION_LIMIT, marked, order_of, with_reference
    from cbxero.domain.xero import LineItem

    line = LineItem(description="x" * 4000, quantity=Decimal(1), unit_amount=Decimal(1))
    mark = marked(line, "SO000123")
    assert (order_of(mark), len(mark.description)) == ("SO000123", DESCRIPTION_LIMIT)
    assert marked(mark, "SO000123") == mark  # marked once
    assert order_of(line.model_copy(update={"description": "Teams (order form)"})) == "form"
    assert order_of(line.model_copy(update={"description": "Teams"})) is None
    assert with_reference("SO1", "SO2") == "SO1, SO2"
    assert len(with_reference("S" * 250, "SO2") or "") == 255
    assert with_reference("S" * 251, "SO2") is None  # never cut
