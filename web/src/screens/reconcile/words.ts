// The drift report in a finance person's words: what each kind of difference means, and what
// each repair does (layers/cbxero/cbxero/domain/drift.py names the kinds and their repairs).

import type { Schemas } from "../../api";

export type DriftKind = Schemas["DriftKind"];
export type Repair = Schemas["Repair"];
export type Difference = Schemas["Difference"];

/** The kinds in the order a reader meets them: money first, then the mappings. */
export const KINDS: { kind: DriftKind; title: string; about: string }[] = [
  {
    kind: "order_without_task",
    title: "Orders never picked up",
    about: "The marketplace has these orders, but there is no sync task for them, so they are in neither the task list nor Xero.",
  },
  {
    kind: "task_without_document",
    title: "Synced tasks without a Xero document",
    about: "The task says synced, but no Xero document was recorded although the order moves money.",
  },
  {
    kind: "document_voided",
    title: "Documents voided in Xero",
    about: "Someone voided the invoice or credit note in Xero; the task still says synced. Nothing is made again unless you say so.",
  },
  {
    kind: "document_deleted",
    title: "Documents deleted in Xero",
    about: "Someone deleted the invoice or credit note in Xero; the task still says synced. Nothing is made again unless you say so.",
  },
  {
    kind: "totals_differ",
    title: "Totals that differ from Xero",
    about: "The Xero document's total is not what the order says. Correct the document in Xero, then ignore the difference.",
  },
  {
    kind: "document_without_task",
    title: "Xero documents no task records",
    about: "Xero holds a document for the order (made by hand, or its answer was lost) that no task records. Adopting it marks the order synced without sending anything.",
  },
  {
    kind: "duplicate_document",
    title: "Orders with more than one Xero document",
    about: "Void the extra document in Xero, then ignore the difference.",
  },
  {
    kind: "contact_archived",
    title: "Customers mapped to an archived contact",
    about: "Their documents cannot go to an archived contact: map each customer to an active one.",
  },
  {
    kind: "contact_merged",
    title: "Customers mapped to a merged contact",
    about: "The contact was merged into another in Xero: map the customer to the contact that remains.",
  },
  {
    kind: "item_deleted",
    title: "Products mapped to a deleted Xero item",
    about: "The item is no longer in Xero: map the product to another item.",
  },
];

export function kindTitle(kind: string): string {
  return KINDS.find((k) => k.kind === kind)?.title ?? kind.replace(/_/g, " ");
}

/** A repair's button, and what it does (shown as the button's description). */
export const REPAIRS: Record<Repair, { label: string; does: string }> = {
  create_task: {
    label: "Create the task",
    does: "Creates the missing sync task; it syncs as any new task does.",
  },
  resync: {
    label: "Sync again",
    does: "Sends the task back to new and syncs it again: a new document is made in Xero.",
  },
  remake: {
    label: "Make it again in Xero",
    does: "Makes the document again in Xero; the voided or deleted one stays as it is.",
  },
  adopt: {
    label: "Adopt the Xero document",
    does: "The task takes the document Xero already holds; nothing is sent to Xero.",
  },
  remap: { label: "Map again…", does: "Choose what to map to instead." },
  ignore: { label: "Ignore…", does: "Acknowledge the difference with a reason: it is not listed again." },
};

/** The repairs that change Xero: asked for again before they are sent. */
export const CHANGES_XERO: ReadonlySet<Repair> = new Set<Repair>(["remake", "resync"]);

/** What a difference concerns, as a short heading ("Order 1001", "Customer C-1", ...). */
export function concerns(d: Difference): string {
  if (d.order_number) return `Order ${d.order_number}`;
  if (d.customer_id) return `Customer ${d.customer_id}`;
  if (d.mpn) return `Product ${d.mpn}`;
  return d.key;
}

/** "2 documents voided, 1 order never picked up": counts by kind in plain words. */
export function countsInWords(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => {
      const title = kindTitle(kind);
      return `${title.charAt(0).toLowerCase()}${title.slice(1)}: ${n}`;
    })
    .join("; ");
}

/** A day of the local calendar ("2026-01-31") as the moment it starts or ends, in RFC 3339. */
export function dayStart(day: string): string | undefined {
  const at = new Date(`${day}T00:00:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function dayEnd(day: string): string | undefined {
  const at = new Date(`${day}T23:59:59`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** A local calendar day, `days` before today ("YYYY-MM-DD"). */
export function daysAgo(days: number): string {
  const at = new Date();
  at.setDate(at.getDate() - days);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}
