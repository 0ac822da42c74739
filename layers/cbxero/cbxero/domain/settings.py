"""A reseller's settings: the nine of the store's Settings window plus the accounting defaults."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo


class PriceSource(StrEnum):
    MARKETPLACE = "marketplace"
    XERO = "xero"


class DescriptionSource(StrEnum):
    MARKETPLACE = "marketplace"
    XERO = "xero"


class InvoiceNumberSource(StrEnum):
    XERO = "xero"
    MARKETPLACE = "marketplace"


class AutoSync(StrEnum):
    OFF = "off"
    DAILY = "daily"
    EVERY_5_MINUTES = "every_5_minutes"


class DowngradeMode(StrEnum):
    REFUND = "refund"
    QUANTITY_ONLY = "quantity_only"


class NotificationLevel(StrEnum):
    ERRORS_AND_ACTIONS = "errors_and_actions"
    ALL_TASKS = "all_tasks"


class InvoiceTarget(StrEnum):
    NEW = "new"
    EXISTING = "existing"


class LineAmountTypes(StrEnum):
    """Xero's LineAmountTypes: whether line amounts include tax."""

    EXCLUSIVE = "Exclusive"
    INCLUSIVE = "Inclusive"
    NO_TAX = "NoTax"


class NewInvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    AUTHORISED = "AUTHORISED"


class DueDateRule(StrEnum):
    """Xero's payment-term types that make sense for sales invoices."""

    DAYS_AFTER_INVOICE_DATE = "DAYSAFTERBILLDATE"
    DAYS_AFTER_END_OF_INVOICE_MONTH = "DAYSAFTERBILLMONTH"
    DAY_OF_FOLLOWING_MONTH = "OFFOLLOWINGMONTH"


def _a_number(value: object) -> object:
    # pydantic's lax int takes false and "14"; a stored item gives Decimal(14), which is fine.
    if isinstance(value, bool | str):
        raise ValueError("a whole number of days")
    return value


class DueDateTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: DueDateRule = DueDateRule.DAYS_AFTER_INVOICE_DATE
    days: Annotated[int, BeforeValidator(_a_number), Field(ge=0, le=365)] = 14


AccountCode = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9.\-_]+$")]
TaxType = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_]+$")]


class Settings(BaseModel):
    """Everything a reseller chooses about how orders become Xero documents.

    The defaults are what a reseller gets before saving anything: marketplace prices and
    descriptions, Xero numbering, no automatic sync, drafts due in 14 days.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_source: PriceSource = Field(
        PriceSource.MARKETPLACE,
        description="A line's unit price: the order's customer price, or the item's sales price.",
    )
    description_source: DescriptionSource = Field(
        DescriptionSource.MARKETPLACE,
        description="A line's description: the order detail's, or the Xero item's.",
    )
    trim_descriptions: StrictBool = Field(
        False, description="Only the product name goes in the line description."
    )
    allow_many_products_per_item: StrictBool = Field(
        False, description="Whether several marketplace products may map to one Xero item."
    )
    invoice_number_source: InvoiceNumberSource = Field(
        InvoiceNumberSource.XERO,
        description="Xero numbers the invoice, or the order number becomes the InvoiceNumber.",
    )
    auto_sync: AutoSync = Field(
        AutoSync.OFF,
        description="Create and process sync tasks on a schedule; customers need auto-sync on too.",
    )
    downgrades: DowngradeMode = Field(
        DowngradeMode.REFUND,
        description="Downgrade refund lines become a credit note, or only quantities are recorded.",
    )
    notifications: NotificationLevel = Field(
        NotificationLevel.ERRORS_AND_ACTIONS,
        description="What appears as notifications and in the Action Log.",
    )
    invoice_target: InvoiceTarget = Field(
        InvoiceTarget.NEW,
        description="Each order its own invoice, or onto the customer's latest editable invoice.",
    )
    sales_account_code: AccountCode | None = Field(
        None,
        description="Xero revenue account for lines whose mapping and item have none, chosen "
        "from GET /xero/accounts?purpose=revenue; none: the organisation's account 200 while "
        "it is an active revenue account, else the task waits for a choice.",
    )
    tax_type: TaxType | None = Field(
        None,
        description="Xero tax type for lines whose mapping and item have none, chosen from "
        "GET /xero/tax-rates?purpose=revenue; none lets Xero decide (the account's own).",
    )
    line_amount_types: LineAmountTypes = Field(
        LineAmountTypes.EXCLUSIVE, description="Whether unit prices include tax."
    )
    new_invoice_status: NewInvoiceStatus = Field(
        NewInvoiceStatus.DRAFT, description="The status new Xero invoices are created in."
    )
    due_date_terms: DueDateTerms = Field(
        default_factory=DueDateTerms, description="When new invoices fall due."
    )
    push_payments: StrictBool = Field(
        False,
        description="The marketplace's payments become Xero payments against synced invoices.",
    )
    payments_account_code: AccountCode | None = Field(
        None, description="The Xero bank account (its code) that payments are made to."
    )


# The settings null clears (back to their default: none chosen).
CLEARABLE = frozenset({"tax_type", "sales_account_code", "payments_account_code"})


def _null_only_where_it_clears(schema: dict[str, Any]) -> None:
    # The document says what the API takes: no null but where it clears, no default shown (a
    # field left out keeps its setting; the None below only marks it as left out).
    for name, field in schema.get("properties", {}).items():
        field.pop("default", None)
        options = field.get("anyOf", [])
        if name not in CLEARABLE and {"type": "null"} in options:
            kept = [option for option in options if option != {"type": "null"}]
            del field["anyOf"]
            if len(kept) == 1:
                field.update(kept[0])
            else:
                field["anyOf"] = kept


class _PatchRules(BaseModel):
    """Some settings to change, the others kept (PATCH /settings, a JSON merge patch).

    A field left out keeps its setting. null is refused (422 naming the field) for every
    setting but `tax_type` and `sales_account_code`, where null clears the choice.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_null_only_where_it_clears
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in CLEARABLE:
            raise ValueError("null is no value for this setting; leave the field out to keep it")
        return value

    def applied_to(self, current: Settings) -> Settings:
        """The current settings with the fields this patch names (a null `tax_type` clears it)."""
        changes = self.model_dump(exclude_unset=True)
        return Settings.model_validate({**current.model_dump(), **changes})


def _left_out_or(setting: FieldInfo) -> Any:
    # The setting's own type, constraints included (its description is shown once, on
    # Settings), or None, which marks the field as left out.
    return (setting.rebuild_annotation() | None, None)


# One list of settings: the patch takes each of Settings' fields, so adding a setting adds it here.
if TYPE_CHECKING:
    SettingsPatch = _PatchRules
else:
    SettingsPatch = create_model(
        "SettingsPatch",
        __base__=_PatchRules,
        __module__=__name__,
        __doc__=_PatchRules.__doc__,
        **{name: _left_out_or(field) for name, field in Settings.model_fields.items()},
    )
