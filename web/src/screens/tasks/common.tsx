// What the task screens share: the words for statuses and types, the customers' names, and the
// link that opens a task's document in Xero.

import type { JSX } from "preact";
import { api, call, type Schemas } from "../../api";
import { useLoad } from "../../load";
import type { Option } from "../../ui";

export type Task = Schemas["SyncTask"];
export type TaskStatus = Schemas["TaskStatus"];

export const STATUS_OPTIONS: Option[] = [
  { value: "", label: "Any status" },
  { value: "new", label: "New" },
  { value: "processing", label: "Processing" },
  { value: "synced", label: "Synced" },
  { value: "failed", label: "Failed" },
  { value: "action_required", label: "Action required" },
  { value: "ignored", label: "Ignored" },
];

export const TYPE_OPTIONS: Option[] = [
  { value: "", label: "Any type" },
  { value: "sales", label: "Sales" },
  { value: "change", label: "Change" },
  { value: "renewal", label: "Renewal" },
  { value: "billing", label: "Billing" },
  { value: "cancellation", label: "Cancellation" },
  { value: "migration", label: "Migration" },
  { value: "unknown", label: "Other" },
];

/** The task's status rules, as the API's TaskStatus has them (services refuse the rest). */
export const canSyncByHand = (t: Task): boolean =>
  t.status === "new" || t.status === "failed" || t.status === "action_required";
export const canRetry = (t: Task): boolean => t.status === "failed" || t.status === "action_required";
export const canIgnore = canSyncByHand;
export const canUnignore = (t: Task): boolean => t.status === "ignored";

/** The reseller's customers by id, for names (the marketplace's list; ids alone if it fails). */
export function useCustomers(): Map<string, string> {
  const loaded = useLoad(() => call(api.GET("/customers", {})), []);
  return new Map((loaded.data ?? []).map((c) => [c.customer_id, c.name]));
}

export function CustomerName(props: { id: string; names: Map<string, string> }): JSX.Element {
  const name = props.names.get(props.id);
  return name ? <span>{name}</span> : <span class="muted">Customer {props.id}</span>;
}

const KIND_WORDS: Record<string, string> = { invoice: "Invoice", credit_note: "Credit note" };

/** A document the task made, with the link that opens it in Xero (in a new tab). */
export function XeroLink(props: { doc: Schemas["XeroDocumentRef"]; long?: boolean }): JSX.Element {
  const { doc } = props;
  const kind = KIND_WORDS[doc.kind] ?? doc.kind;
  const name = doc.number ? `${kind} ${doc.number}` : kind;
  if (!doc.link) return <span>{name}</span>;
  return (
    <a href={doc.link} target="_blank" rel="noopener noreferrer" class="xero-link">
      {props.long ? `Open ${name} in Xero` : name}
      <span class="visually-hidden"> (opens Xero in a new tab)</span>
    </a>
  );
}

export const FILTERS = ["status", "type", "customer_id", "from", "to"] as const;
export type FilterName = (typeof FILTERS)[number];
export type Filters = Partial<Record<FilterName, string>>;

export function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** The period's days as the API's moments: from the start of the first day to the end of the last (UTC). */
export function periodOf(filters: Filters): { from?: string; to?: string } {
  return {
    ...(filters.from ? { from: `${filters.from}T00:00:00Z` } : {}),
    ...(filters.to ? { to: `${filters.to}T23:59:59Z` } : {}),
  };
}


/** A number of money as Xero's JSON gives it (4, 3.5, 1.2345): to the cent at least. */
export function amount(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  if (Number.isNaN(number)) return String(value);
  return Number.isInteger(Math.round(number * 100 * 1e6) / 1e6) ? number.toFixed(2) : String(value);
}
