// The Settings window's words: the nine settings of the store's Settings window, in its order
// and terms ("Configuring Xero Integration"), each with the seed's explanation as its hint.

import type { Schemas } from "../../api";

export type Settings = Schemas["Settings"];

export interface Choice<V extends string> {
  value: V;
  label: string;
  hint?: string;
}

interface Setting<K extends keyof Settings, V extends string> {
  name: K;
  label: string;
  hint: string;
  choices: Choice<V>[];
}

/** A yes/no setting shown as the seed's Yes and No. */
export const YES = "yes";
export const NO = "no";
type YesNo = typeof YES | typeof NO;

export type SeedSetting =
  | Setting<"price_source", Schemas["PriceSource"]>
  | Setting<"description_source", Schemas["DescriptionSource"]>
  | Setting<"trim_descriptions", YesNo>
  | Setting<"allow_many_products_per_item", YesNo>
  | Setting<"invoice_number_source", Schemas["InvoiceNumberSource"]>
  | Setting<"auto_sync", Schemas["AutoSync"]>
  | Setting<"downgrades", Schemas["DowngradeMode"]>
  | Setting<"notifications", Schemas["NotificationLevel"]>
  | Setting<"invoice_target", Schemas["InvoiceTarget"]>;

export const SEED_SETTINGS: SeedSetting[] = [
  {
    name: "price_source",
    label: "Load prices from",
    hint: "Whether to load prices from Xero or Reseller Marketplace by default.",
    choices: [
      { value: "marketplace", label: "Reseller Marketplace", hint: "the order's customer price" },
      { value: "xero", label: "Xero", hint: "the mapped Xero item's sales price" },
    ],
  },
  {
    name: "description_source",
    label: "Load product descriptions from",
    hint: "Whether to load the descriptions of products from Xero or Reseller Marketplace.",
    choices: [
      { value: "marketplace", label: "Reseller Marketplace", hint: "the order's product description" },
      { value: "xero", label: "Xero", hint: "the mapped Xero item's description" },
    ],
  },
  {
    name: "trim_descriptions",
    label: "Trim product description details",
    hint: "When Yes is selected, only the product name is used in the line description.",
    choices: [
      { value: YES, label: "Yes" },
      { value: NO, label: "No" },
    ],
  },
  {
    name: "allow_many_products_per_item",
    label: "Allow mapping multiple products to a single product",
    hint:
      "Whether several marketplace products may be mapped to one Xero item. When No is " +
      "selected, a second product mapped to the same item is refused.",
    choices: [
      { value: YES, label: "Yes" },
      { value: NO, label: "No" },
    ],
  },
  {
    name: "invoice_number_source",
    label: "Generate the invoice number from",
    hint:
      "Whether to generate the invoice number from Xero or Reseller Marketplace. The invoice's " +
      "Reference always carries the marketplace order number.",
    choices: [
      { value: "xero", label: "Xero", hint: "Xero numbers the invoice" },
      { value: "marketplace", label: "Reseller Marketplace", hint: "the order number" },
    ],
  },
  {
    name: "auto_sync",
    label: "Automatically create and process synchronization tasks",
    hint:
      "Choose how often orders are checked. It is also required to enable auto-sync at the " +
      "customer level.",
    choices: [
      { value: "off", label: "Off", hint: "sync by hand from Tasks" },
      { value: "daily", label: "Once per day" },
      { value: "every_5_minutes", label: "Once every five minutes" },
    ],
  },
  {
    name: "downgrades",
    label: "On downgrades",
    hint: "Whether to sync refunds on downgrades or sync only resource quantity changes.",
    choices: [
      { value: "refund", label: "Sync refunds", hint: "a credit note in Xero" },
      { value: "quantity_only", label: "Sync only resource quantity changes", hint: "no money moves" },
    ],
  },
  {
    name: "notifications",
    label: "Notify me of",
    hint:
      "Which events you want to track and be notified of. These notifications are displayed " +
      "in pop-up messages and the Action Log.",
    choices: [
      { value: "errors_and_actions", label: "Errors and actions required from me only" },
      { value: "all_tasks", label: "All tasks" },
    ],
  },
  {
    name: "invoice_target",
    label: "Synchronize orders to",
    hint: "Whether to synchronize new or existing invoices.",
    choices: [
      { value: "new", label: "New Invoice", hint: "each order will create a new invoice in Xero" },
      {
        value: "existing",
        label: "Existing Invoice",
        hint:
          "the order will be synchronized to the latest invoice for that customer, while Xero " +
          "still allows editing it (else a new one)",
      },
    ],
  },
];

/** A setting's value as its radio shows it (booleans as Yes and No). */
export function shown(settings: Settings, name: SeedSetting["name"]): string {
  const value = settings[name];
  if (typeof value === "boolean") return value ? YES : NO;
  return value;
}

/** The settings with one seed setting chosen (Yes and No back to booleans). */
export function chosen(settings: Settings, name: SeedSetting["name"], value: string): Settings {
  const boolean = name === "trim_descriptions" || name === "allow_many_products_per_item";
  return { ...settings, [name]: boolean ? value === YES : value } as Settings;
}

export const LINE_AMOUNT_TYPES: Choice<Schemas["LineAmountTypes"]>[] = [
  { value: "Exclusive", label: "Tax exclusive" },
  { value: "Inclusive", label: "Tax inclusive" },
  { value: "NoTax", label: "No tax" },
];

export const NEW_INVOICE_STATUS: Choice<Schemas["NewInvoiceStatus"]>[] = [
  { value: "DRAFT", label: "Draft" },
  { value: "AUTHORISED", label: "Approved (awaiting payment)" },
];

export const DUE_DATE_RULES: Choice<Schemas["DueDateRule"]>[] = [
  { value: "DAYSAFTERBILLDATE", label: "day(s) after the invoice date" },
  { value: "DAYSAFTERBILLMONTH", label: "day(s) after the end of the invoice month" },
  { value: "OFFOLLOWINGMONTH", label: "of the following month" },
];

/** Every setting's name as the window labels it (for the conflict's list of what changed). */
export const LABELS: Record<keyof Settings, string> = {
  ...(Object.fromEntries(SEED_SETTINGS.map((s) => [s.name, s.label])) as Record<
    SeedSetting["name"],
    string
  >),
  sales_account_code: "Sales account",
  tax_type: "Tax rate",
  line_amount_types: "Amounts are",
  new_invoice_status: "New invoices are created as",
  due_date_terms: "Due date",
  push_payments: "Record marketplace payments in Xero",
  payments_account_code: "Bank account for payments",
};

/** A setting's value in the window's words ("Xero", "Yes", "30 day(s) after the invoice date"). */
export function valueLabel(settings: Settings, name: keyof Settings): string {
  const seed = SEED_SETTINGS.find((s) => s.name === name);
  if (seed) {
    const value = shown(settings, seed.name);
    return (seed.choices as Choice<string>[]).find((c) => c.value === value)?.label ?? value;
  }
  const value = settings[name];
  if (name === "due_date_terms" && typeof value === "object" && value) {
    const rule = DUE_DATE_RULES.find((r) => r.value === value.rule)?.label ?? value.rule;
    return `${value.days} ${rule}`;
  }
  const listed = [...LINE_AMOUNT_TYPES, ...NEW_INVOICE_STATUS].find((c) => c.value === value);
  if (listed) return listed.label;
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return value ? String(value) : "none";
}
