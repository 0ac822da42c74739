// Bulk actions on the task list: the rows selected, or every task the filters select (a page of
// them a call, continued by the API's cursor). Each task follows its own status rules; those
// that cannot are skipped, and the API says why.

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, call, type Schemas } from "../../api";
import { useAction } from "../../load";
import { ErrorNotice, Notice, SelectField, TextField } from "../../ui";
import { type Filters, periodOf } from "./common";

type Action = Schemas["BulkAction"];
type Result = Schemas["BulkResult"];

const ACTIONS: { value: Action; label: string; done: string }[] = [
  { value: "sync", label: "Sync to Xero", done: "sent to be synced" },
  { value: "retry", label: "Retry", done: "sent to be retried" },
  { value: "ignore", label: "Ignore", done: "ignored" },
  { value: "unignore", label: "Un-ignore", done: "returned to new" },
];
const PER_CALL = 100;

export function BulkPanel(props: {
  filters: Filters;
  selected: string[];
  orderNumbers: Map<string, string>;
  onDone: () => void;
}): JSX.Element {
  const [action, setAction] = useState<Action>("retry");
  const [scope, setScope] = useState<"selected" | "filter">("selected");
  const [reason, setReason] = useState("");
  const [result, setResult] = useState<{ result: Result; names: Map<string, string> } | undefined>();
  const count = props.selected.length;
  const onSelected = scope === "selected";
  const nothing = onSelected && count === 0;
  const apply = useAction(async (cursor?: string) => {
    const { from, to } = periodOf(props.filters);
    const filter: Schemas["BulkFilter"] = onSelected
      ? { task_ids: props.selected }
      : {
          status: (props.filters.status as Schemas["TaskStatus"] | undefined) ?? null,
          type: (props.filters.type as Schemas["OrderType"] | undefined) ?? null,
          customer_id: props.filters.customer_id ?? null,
          from: from ?? null,
          to: to ?? null,
        };
    const answer = await call(
      api.POST("/tasks/bulk", {
        body: {
          action,
          filter,
          reason: action === "ignore" ? reason.trim() || null : null,
          limit: PER_CALL,
          cursor: cursor ?? null,
        },
      }),
    );
    setResult({ result: answer, names: new Map(props.orderNumbers) });
    props.onDone();
    return answer;
  });
  const said = ACTIONS.find((a) => a.value === result?.result.action);
  const name = (id: string): string => {
    const number = result?.names.get(id);
    return number ? `Order ${number}` : `Task ${id}`;
  };

  return (
    <section class="panel bulk" aria-labelledby="bulk-title">
      <h2 id="bulk-title">Bulk actions</h2>
      <form
        class="bulk-form"
        onSubmit={(e) => {
          e.preventDefault();
          setResult(undefined);
          void apply.run();
        }}
      >
        <SelectField
          label="Apply to"
          value={scope}
          options={[
            { value: "selected", label: count ? `The ${count} selected task${count === 1 ? "" : "s"}` : "The selected tasks (none yet)" },
            { value: "filter", label: `Every task the filters select (${PER_CALL} a time)` },
          ]}
          onChange={(v) => setScope(v === "filter" ? "filter" : "selected")}
          hint={nothing ? "Select tasks in the list below first." : undefined}
        />
        <SelectField
          label="Action"
          value={action}
          options={ACTIONS}
          onChange={(v) => setAction(v as Action)}
        />
        {action === "ignore" ? (
          <TextField
            label="Reason for ignoring"
            value={reason}
            onInput={setReason}
            required
            hint="Shown on each task and in the Action Log."
            error={apply.error?.problem("reason")}
          />
        ) : null}
        <div class="field bulk-apply">
          <button type="submit" class="button button-primary" disabled={apply.busy || nothing}>
            {apply.busy ? "Applying…" : "Apply"}
          </button>
        </div>
      </form>
      <ErrorNotice error={apply.error} shown={["reason"]} />
      {result ? (
        <Notice kind={result.result.skipped.length ? "warning" : "success"}>
          <p>
            <strong>{said?.label ?? result.result.action}:</strong> {result.result.changed} of {result.result.looked_at} task
            {result.result.looked_at === 1 ? "" : "s"} {said?.done ?? "done"}
            {result.result.skipped.length ? `, ${result.result.skipped.length} skipped` : ""}.
          </p>
          {result.result.skipped.length ? (
            <ul class="skipped">
              {result.result.skipped.map((s) => (
                <li key={s.task_id}>
                  {name(s.task_id)}: {s.reason}
                </li>
              ))}
            </ul>
          ) : null}
          {result.result.next_cursor ? (
            <p>
              <button type="button" class="button" disabled={apply.busy} onClick={() => void apply.run(result.result.next_cursor ?? undefined)}>
                Continue with the next {PER_CALL}
              </button>
            </p>
          ) : null}
        </Notice>
      ) : null}
    </section>
  );
}
