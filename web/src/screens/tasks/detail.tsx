// One task: its order, status and note, the lines it would send, its Xero side and documents
// (each with the link that opens it in Xero), its history; Sync by hand, Retry, Ignore, Un-ignore.

import type { JSX } from "preact";
import { useCallback, useState } from "preact/hooks";
import { api, call } from "../../api";
import { useAction, useLoad } from "../../load";
import { href } from "../../router";
import { Dialog, ErrorNotice, Loading, Money, Notice, Page, Status, TextField, When, humanize } from "../../ui";
import {
  CustomerName,
  type Task,
  XeroLink,
  canIgnore,
  canRetry,
  canSyncByHand,
  canUnignore,
  useCustomers,
} from "./common";
import { PlannedLines } from "./lines";
import { Outcome } from "./wizard";

const TARGET_WORDS: Record<string, string> = {
  new: "onto a new invoice",
  latest: "onto the customer’s latest invoice",
  given: "onto a chosen invoice",
};

function Facts(props: { rows: [string, JSX.Element | string | null | undefined][] }): JSX.Element {
  return (
    <dl class="facts">
      {props.rows
        .filter(([, value]) => value !== null && value !== undefined && value !== "")
        .map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

function IgnoreDialog(props: { task: Task; open: boolean; onClose: () => void; onDone: (t: Task) => void }): JSX.Element {
  const [reason, setReason] = useState("");
  const ignore = useAction(async () => {
    const task = await call(
      api.POST("/tasks/{taskId}/ignore", {
        params: { path: { taskId: props.task.order_id } },
        body: { reason: reason.trim() },
      }),
    );
    props.onDone(task);
    return task;
  });
  return (
    <Dialog title={`Ignore order ${props.task.order_number}`} open={props.open} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void ignore.run();
        }}
      >
        <p>An ignored task is never synced to Xero until someone un-ignores it.</p>
        <TextField
          label="Reason"
          value={reason}
          onInput={setReason}
          required
          hint="Say why, for whoever reads the task or the Action Log later."
          error={ignore.error?.problem("reason")}
        />
        <ErrorNotice error={ignore.error} shown={["reason"]} />
        <div class="dialog-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-danger" disabled={ignore.busy}>
            Ignore the task
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The Action Log's entries about this order (read from the customer's entries since the task
 * was made; the Action Log has no filter by order). */
function TaskHistory(props: { task: Task }): JSX.Element | null {
  const { task } = props;
  const entries = useLoad(
    () =>
      call(
        api.GET("/action-log", {
          params: { query: { customer_id: task.customer_id, from: task.created_at, limit: 200 } },
        }),
      ),
    [task.customer_id, task.created_at, task.updated_at],
  );
  const mine = (entries.data?.items ?? [])
    .filter((e) => e.order_id === task.order_id)
    .sort((a, b) => a.at.localeCompare(b.at));
  if (entries.error) return <ErrorNotice error={entries.error} />;
  if (!mine.length) return null;
  return (
    <>
      <h3>In the Action Log</h3>
      <ol class="history">
        {mine.map((e) => (
          <li key={e.entry_id}>
            <When value={e.at} />: <Status value={e.status} /> {e.message} <span class="muted">({e.actor})</span>
          </li>
        ))}
      </ol>
    </>
  );
}

export function TaskView(props: { taskId: string }): JSX.Element {
  const loaded = useLoad(
    () => call(api.GET("/tasks/{taskId}", { params: { path: { taskId: props.taskId } } })),
    [props.taskId],
  );
  const names = useCustomers();
  const [ignoring, setIgnoring] = useState(false);
  const [said, setSaid] = useState<string | undefined>();
  const path = { params: { path: { taskId: props.taskId } } };
  const [syncing, setSyncing] = useState<Task | undefined>();
  // Only while a sync is on its way: once it ends (synced or not) the task's actions are back,
  // so that a task that now needs action can still be synced by hand from here.
  const [sending, setSending] = useState(false);
  const [round, setRound] = useState(0); // a new Outcome for each Sync now
  const act = useAction(async (what: "retry" | "unignore" | "sync") => {
    setSaid(undefined);
    if (what === "sync") {
      const task = await call(api.POST("/tasks/{taskId}/sync", path)); // the lines as planned
      setSending(true);
      setRound((n) => n + 1);
      setSyncing(task);
      return task;
    }
    const task =
      what === "retry"
        ? await call(api.POST("/tasks/{taskId}/retry", path))
        : await call(api.POST("/tasks/{taskId}/unignore", path));
    setSaid(what === "retry" ? "Sent to be tried again." : "Un-ignored: the task is new again.");
    await loaded.reload();
    return task;
  });
  const reload = loaded.reload;
  const synced = useCallback(() => {
    setSending(false);
    void reload();
  }, [reload]);

  if (!loaded.data) {
    return (
      <Page title="Task">
        <p>
          <a href={href("/tasks")}>← All tasks</a>
        </p>
        {loaded.error ? <ErrorNotice error={loaded.error} /> : <Loading what="the task" />}
      </Page>
    );
  }
  const { task, planned } = loaded.data;
  const side = task.xero_side;
  const actions = (
    <>
      {canSyncByHand(task) && !sending ? (
        <button type="button" class="button" disabled={act.busy} onClick={() => void act.run("sync")}>
          Sync now
        </button>
      ) : null}
      {canSyncByHand(task) && !sending ? (
        <a class="button button-primary" href={href(`/tasks/${encodeURIComponent(task.order_id)}/sync`)}>
          Sync by hand…
        </a>
      ) : null}
      {canRetry(task) ? (
        <button type="button" class="button" disabled={act.busy} onClick={() => void act.run("retry")}>
          Retry
        </button>
      ) : null}
      {canIgnore(task) ? (
        <button type="button" class="button button-danger" onClick={() => { setSaid(undefined); setIgnoring(true); }}>
          Ignore…
        </button>
      ) : null}
      {canUnignore(task) ? (
        <button type="button" class="button" disabled={act.busy} onClick={() => void act.run("unignore")}>
          Un-ignore
        </button>
      ) : null}
    </>
  );

  return (
    <Page title={`Order ${task.order_number}`} actions={actions}>
      <p>
        <a href={href("/tasks")}>← All tasks</a>
      </p>
      {said ? <Notice kind="success">{said}</Notice> : null}
      <ErrorNotice error={act.error} />
      {syncing ? <Outcome key={round} taskId={task.order_id} requested={syncing} onDone={synced} onTaskPage /> : null}
      <div class="task-grid">
        <section class="panel" aria-labelledby="task-order">
          <h2 id="task-order">Order</h2>
          <Facts
            rows={[
              ["Order", task.order_number],
              ["Type", humanize(task.order_type)],
              ["Customer", <CustomerName id={task.customer_id} names={names} />],
              ["Total", <Money amount={task.order_total} currency={task.currency} />],
              ["Ordered", <When value={task.ordered_at} />],
            ]}
          />
        </section>
        <section class="panel" aria-labelledby="task-status">
          <h2 id="task-status">Status</h2>
          <Facts
            rows={[
              ["Status", <Status value={task.status} />],
              [task.status === "ignored" ? "Why ignored" : "Reason", task.reason],
              ["Note", task.note],
              ["Attempts", String(task.attempts ?? 0)],
              // retry_at is when the task is next taken up (a processing task's is its lease)
              ["Next try", task.retry_at && task.status !== "processing" ? <When value={task.retry_at} /> : null],
            ]}
          />
        </section>
        <section class="panel" aria-labelledby="task-xero">
          <h2 id="task-xero">In Xero</h2>
          {task.document || task.credit_note ? (
            <ul class="documents">
              {[task.document, task.credit_note].map((doc) =>
                doc ? (
                  <li key={doc.id}>
                    <XeroLink doc={doc} long /> {doc.total ? <Money amount={doc.total} currency={task.currency} /> : null}
                  </li>
                ) : null,
              )}
            </ul>
          ) : (
            <p class="muted">No document in Xero yet.</p>
          )}
          {side ? (
            <Facts
              rows={[
                ["State", <Status value={side.state} />],
                ["Paid", <Money amount={side.amount_paid} currency={task.currency} />],
                ["Due", side.amount_due ? <Money amount={side.amount_due} currency={task.currency} /> : null],
                ["Seen", <When value={side.seen_at} />],
              ]}
            />
          ) : null}
          {task.payments?.length ? (
            <>
              <h3>Payments sent to Xero</h3>
              <ul>
                {task.payments.map((p) => (
                  <li key={p.reference}>
                    {p.reference}: <Money amount={p.amount} currency={task.currency} /> {p.payment_id ? "" : <span class="muted">(not confirmed by Xero yet)</span>}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </div>

      <section class="panel" aria-labelledby="task-planned">
        <h2 id="task-planned">Planned lines</h2>
        {task.status === "ignored" ? (
          <p class="muted">An ignored task sends nothing to Xero.</p>
        ) : planned.problem ? (
          <Notice kind="warning">
            <p>{planned.problem}</p>
            <p>
              <a href={href("/mapping")}>Open Mapping</a> to fix it, then sync again.
            </p>
          </Notice>
        ) : null}
        {planned.note ? <p class="hint">{planned.note.charAt(0).toUpperCase() + planned.note.slice(1)}.</p> : null}
        {planned.invoice_lines?.length ? (
          <PlannedLines caption="Invoice lines" lines={planned.invoice_lines} currency={task.currency} />
        ) : null}
        {planned.credit_note_lines?.length ? (
          <PlannedLines caption="Credit note lines" lines={planned.credit_note_lines} currency={task.currency} />
        ) : null}
        {planned.quantity_changes?.length ? (
          <>
            <h3>Quantity changes (no money moves)</h3>
            <ul>
              {planned.quantity_changes.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ul>
          </>
        ) : null}
        {planned.expected_total ? (
          <p>
            Expected total: <Money amount={planned.expected_total} currency={task.currency} />
          </p>
        ) : null}
        {!planned.problem && task.status !== "ignored" && !planned.invoice_lines?.length && !planned.credit_note_lines?.length && !planned.quantity_changes?.length ? (
          <p class="muted">Nothing to send to Xero.</p>
        ) : null}
      </section>

      <section class="panel" aria-labelledby="task-history">
        <h2 id="task-history">History</h2>
        <TaskHistory task={task} />
        <h3>Task</h3>
        <ol class="history">
          {task.ordered_at ? (
            <li>
              <When value={task.ordered_at} />: ordered in the marketplace
            </li>
          ) : null}
          <li>
            <When value={task.created_at} />: task created
          </li>
          {task.edits?.length ? <li>Synced by hand with {task.edits.length} edited line{task.edits.length === 1 ? "" : "s"}{task.target ? `, ${TARGET_WORDS[task.target]}` : ""}</li> : null}
          {task.updated_at !== task.created_at ? (
            <li>
              <When value={task.updated_at} />: last change, now <Status value={task.status} />
            </li>
          ) : null}
        </ol>
        <p>
          <a href={href("/action-log", { customer_id: task.customer_id })}>This customer’s entries in the Action Log</a>
        </p>
      </section>
      {canIgnore(task) ? (
        <IgnoreDialog
          task={task}
          open={ignoring}
          onClose={() => setIgnoring(false)}
          onDone={() => {
            setIgnoring(false);
            setSaid("Ignored.");
            void loaded.reload();
          }}
        />
      ) : null}
    </Page>
  );
}
