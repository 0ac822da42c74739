// How the Action Log names its actions, statuses and actors in a reseller's words. The API
// records each action as a code (sync_task, drift_remap, ...); an unknown code is humanized.

import type { Schemas } from "../../api";
import { humanize } from "../../ui";

export type Entry = Schemas["ActionLogEntry"];
export type LogStatus = Schemas["LogStatus"];

/** The actions the product records, in the order a finance person looks for them. */
export const ACTIONS: { value: string; label: string }[] = [
  { value: "sync_task", label: "Order sync" },
  { value: "task_created", label: "Task created" },
  { value: "task_sync_requested", label: "Sync by hand requested" },
  { value: "task_ignored", label: "Task ignored" },
  { value: "task_new", label: "Task returned to new (un-ignored or retried)" },
  { value: "task_bulk_sync", label: "Bulk: sync" },
  { value: "task_bulk_retry", label: "Bulk: retry" },
  { value: "task_bulk_ignore", label: "Bulk: ignore" },
  { value: "task_bulk_unignore", label: "Bulk: un-ignore" },
  { value: "sync_job", label: "Customer sync job" },
  { value: "xero_connection", label: "Xero connection" },
  { value: "xero_change", label: "Change seen in Xero" },
  { value: "settings_changed", label: "Settings changed" },
  { value: "customer_mapped", label: "Customer mapped" },
  { value: "customer_unmapped", label: "Customer unmapped" },
  { value: "auto_sync_changed", label: "Customer auto-sync changed" },
  { value: "customer_tracking_changed", label: "Customer tracking changed" },
  { value: "product_mapped", label: "Product mapped" },
  { value: "product_unmapped", label: "Product unmapped" },
  { value: "history_start", label: "History back-fill started" },
  { value: "drift_found", label: "Drift found" },
  { value: "drift_create_task", label: "Drift repaired: task created" },
  { value: "drift_resync", label: "Drift repaired: synced again" },
  { value: "drift_remake", label: "Drift repaired: document made again" },
  { value: "drift_adopt", label: "Drift repaired: document adopted" },
  { value: "drift_remap", label: "Drift repaired: remapped" },
  { value: "drift_ignore", label: "Drift ignored" },
];

const ACTION_LABEL = new Map(ACTIONS.map((a) => [a.value, a.label]));

export function actionLabel(action: string): string {
  return ACTION_LABEL.get(action) ?? humanize(action);
}

export const STATUSES: { value: LogStatus; label: string }[] = [
  { value: "error", label: "Error" },
  { value: "action_required", label: "Action required" },
  { value: "success", label: "Success" },
  { value: "info", label: "Information" },
];

export function isProblem(status: LogStatus): boolean {
  return status === "error" || status === "action_required";
}

/** Who did it: a person's sign-in, or the schedule. */
export function actorLabel(actor: string): string {
  return actor === "scheduler" ? "Automatic sync (schedule)" : actor;
}

/** The entry's id: always present in what the API sends (the model gives it a default). */
export function entryId(entry: Entry): string {
  return entry.entry_id ?? "";
}
