// One Action Log entry: what happened, when, by whom, to which customer, order and Xero
// document, with links to the order's task and to the document in Xero.

import type { JSX } from "preact";
import type { Schemas } from "../../api";
import { ApiError, api, call } from "../../api";
import { useLoad } from "../../load";
import { href } from "../../router";
import { ErrorNotice, Loading, Notice, Page, Status, When } from "../../ui";
import { actionLabel, actorLabel } from "./words";

type Task = Schemas["SyncTask"];

/** The order's task, if the entry names an order and the task is still there. */
async function taskOf(orderId: string | null | undefined): Promise<Task | null> {
  if (!orderId) return null;
  try {
    return (await call(api.GET("/tasks/{taskId}", { params: { path: { taskId: orderId } } }))).task;
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 404) return null;
    throw caught;
  }
}

function XeroDocument(props: { id: string; task: Task | null | undefined }): JSX.Element {
  const known = [props.task?.document, props.task?.credit_note].find((d) => d?.id === props.id);
  if (!known) return <code>{props.id}</code>;
  const what = known.kind === "credit_note" ? "Credit note" : "Invoice";
  const name = `${what} ${known.number ?? ""}`.trim();
  return known.link ? (
    <a href={known.link} target="_blank" rel="noopener noreferrer">
      {name} in Xero<span class="log-sr"> (opens in a new tab)</span>
    </a>
  ) : (
    <span>{name}</span>
  );
}

export function EntryDetail(props: { entryId: string }): JSX.Element {
  const loaded = useLoad(async () => {
    const entry = await call(
      api.GET("/action-log/{entryId}", { params: { path: { entryId: props.entryId } } }),
    );
    let task: Task | null = null;
    let taskProblem: ApiError | undefined;
    try {
      task = await taskOf(entry.order_id);
    } catch (caught) {
      taskProblem = caught instanceof ApiError ? caught : undefined;
    }
    // the customer's name, if the marketplace answers (the id says enough otherwise)
    const customer = entry.customer_id
      ? await call(api.GET("/customers"))
          .then((rows) => rows.find((c) => c.customer_id === entry.customer_id))
          .catch(() => undefined)
      : undefined;
    return { entry, task, taskProblem, customerName: customer?.name };
  }, [props.entryId]);
  const back = (
    <a class="button" href={href("/action-log")}>
      Back to the Action Log
    </a>
  );
  if (loaded.loading && !loaded.data) {
    return (
      <Page title="Action Log entry" actions={back}>
        <Loading what="the entry" />
      </Page>
    );
  }
  if (loaded.error || !loaded.data) {
    return (
      <Page title="Action Log entry" actions={back}>
        {loaded.error?.status === 404 ? (
          <Notice kind="warning">This Action Log entry does not exist (or is not yours).</Notice>
        ) : (
          <ErrorNotice error={loaded.error} />
        )}
      </Page>
    );
  }
  const { entry, task, taskProblem, customerName } = loaded.data;
  return (
    <Page title="Action Log entry" actions={back}>
      <div class="panel log-entry">
        <p class="log-entry-message">
          <Status value={entry.status} /> {entry.message}
        </p>
        <dl class="log-facts">
          <dt>When</dt>
          <dd>
            <When value={entry.at} />
          </dd>
          <dt>Action</dt>
          <dd>{actionLabel(entry.action)}</dd>
          <dt>By</dt>
          <dd>{actorLabel(entry.actor)}</dd>
          <dt>Customer</dt>
          <dd>
            {entry.customer_id ? (
              <a href={href("/action-log", { customer: entry.customer_id })}>
                {customerName ? `${customerName} (${entry.customer_id})` : `Customer ${entry.customer_id}`}
                <span class="log-sr">: all its Action Log entries</span>
              </a>
            ) : (
              <span class="muted">—</span>
            )}
          </dd>
          <dt>Order</dt>
          <dd>
            {entry.order_id && task === null && !taskProblem ? (
              <span>Order {entry.order_id} (its task is no longer there)</span>
            ) : entry.order_id ? (
              <a href={href(`/tasks/${encodeURIComponent(entry.order_id)}`)}>
                {task ? `Order ${task.order_number}` : `Order ${entry.order_id}`}: open its task
              </a>
            ) : (
              <span class="muted">—</span>
            )}
          </dd>
          <dt>Xero document</dt>
          <dd>
            {entry.xero_document_id ? (
              <XeroDocument id={entry.xero_document_id} task={task} />
            ) : (
              <span class="muted">—</span>
            )}
          </dd>
          <dt>Notification</dt>
          <dd>{entry.read ? "Read" : "Unread"}</dd>
        </dl>
      </div>
      {taskProblem ? <ErrorNotice error={taskProblem} /> : null}
    </Page>
  );
}
