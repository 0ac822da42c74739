// Auto-sync runs for a customer only when the customer's own switch is on too (the seed: "It is
// also required to enable auto-sync at the customer level"): say so, and how many have it on.

import type { JSX } from "preact";
import { api, call } from "../../api";
import { useLoad } from "../../load";
import { href } from "../../router";
import type { Settings } from "./choices";

export function CustomerAutoSyncReminder(props: { autoSync: Settings["auto_sync"] }): JSX.Element {
  const customers = useLoad(() => call(api.GET("/customers")), []);
  const rows = customers.data;
  const on = rows ? rows.filter((row) => row.auto_sync).length : undefined;
  const none = props.autoSync !== "off" && on === 0;
  return (
    <div class={`reminder ${none ? "reminder-warn" : ""}`}>
      <p>
        <strong>Auto-sync is also switched on per customer.</strong> Only customers whose own
        auto-sync is on are synced on this schedule: switch it on for each customer in{" "}
        <a href={href("/mapping")}>Mapping</a>.
      </p>
      {rows && on !== undefined ? (
        <p class="reminder-count">
          {none
            ? `No customer has auto-sync switched on yet (${rows.length} ${rows.length === 1 ? "customer" : "customers"}), so this schedule syncs nothing.`
            : `${on} of ${rows.length} ${rows.length === 1 ? "customer has" : "customers have"} auto-sync switched on.`}
        </p>
      ) : null}
    </div>
  );
}
