// The dashboard: is Xero connected and to which organisation, what is left of today's Xero
// budget, tasks by status (each a link to the filtered list), the schedule's last and next run,
// the oldest waiting task, the drift the daily run found, the back-fill's progress, and "Check
// changes". Settings and Mapping are under the gear in the header.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { useAction, useLoad } from "../load";
import { usePainted } from "../painted";
import type { Route } from "../router";
import { href } from "../router";
import { ErrorNotice, humanize, Loading, Notice, Page, Status, When } from "../ui";
import { ReconnectReason } from "./connect/reason";
import "./dashboard.css";

type Dashboard = Schemas["Dashboard"];

// Every status a task can have, in the order a person reads them: what needs them first.
const TASK_STATUSES: { value: Schemas["TaskStatus"]; label: string }[] = [
  { value: "action_required", label: "Action required" },
  { value: "failed", label: "Failed" },
  { value: "new", label: "New" },
  { value: "processing", label: "Processing" },
  { value: "synced", label: "Synced" },
  { value: "ignored", label: "Ignored" },
];

const AUTO_SYNC: Record<string, string> = {
  off: "Off",
  daily: "Once a day",
  every_5_minutes: "Every five minutes",
};

const RELOAD_AFTER_CHECK_MS = 4000; // the queued look usually lands by then

function ConnectionLead(props: { connection: Dashboard["connection"] }): JSX.Element | null {
  const { status } = props.connection;
  const link = (label: string): JSX.Element => (
    <a class="button button-primary" href={href("/connection")}>
      {label}
    </a>
  );
  if (status === "connected") return null;
  if (status === "reconnect_needed") {
    return <ReconnectReason>{link("Reconnect Xero")}</ReconnectReason>;
  }
  if (status === "choose_tenant") {
    return (
      <Notice kind="warning">
        <p>
          <strong>Choose the Xero organisation.</strong> Xero granted more than one organisation
          (or another one than your mappings belong to): nothing syncs until you choose.
        </p>
        {link("Choose the organisation")}
      </Notice>
    );
  }
  return (
    <Notice kind="warning">
      <p>
        <strong>Xero is not connected.</strong> Nothing syncs until you connect the Xero
        organisation your orders should go to.
      </p>
      {link("Connect Xero")}
    </Notice>
  );
}

function Fact(props: { term: string; children: JSX.Element | JSX.Element[] | string | null }): JSX.Element {
  return (
    <div class="fact">
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function TaskCounts(props: { dashboard: Dashboard }): JSX.Element {
  const { dashboard } = props;
  const types = Object.entries(dashboard.tasks_by_type);
  return (
    <section class="panel" aria-labelledby="tasks-title">
      <div class="panel-head">
        <h2 id="tasks-title">Tasks</h2>
        <a href={href("/tasks")}>
          {dashboard.tasks_total === 1 ? "The 1 task" : `All ${dashboard.tasks_total} tasks`}
        </a>
      </div>
      <ul class="task-counts">
        {TASK_STATUSES.map((status) => {
          const count = dashboard.tasks_by_status[status.value] ?? 0;
          return (
            <li key={status.value}>
              <a
                class={`task-count ${count ? "" : "task-count-none"}`}
                href={href("/tasks", { status: status.value })}
              >
                <span class="task-count-n">{count}</span> <Status value={status.value} />
              </a>
            </li>
          );
        })}
      </ul>
      {types.length ? (
        <p class="muted by-type">
          By order type:{" "}
          {types.map(([type, n], i) => (
            <span key={type}>
              {i ? ", " : ""}
              {humanize(type)} {n}
            </span>
          ))}
        </p>
      ) : null}
    </section>
  );
}

function Budget(props: { budget: Dashboard["budget_today"] }): JSX.Element {
  const { budget } = props;
  if (!budget) return <p class="muted">No organisation connected.</p>;
  return (
    <>
      <p class="big-figure">
        {budget.left.toLocaleString()} <span class="muted">of {budget.limit.toLocaleString()} calls left</span>
      </p>
      <meter
        class="budget-meter"
        min={0}
        max={budget.limit}
        low={budget.limit * 0.2}
        optimum={budget.limit}
        value={budget.left}
        aria-label="Xero calls left today"
      >
        {budget.left} of {budget.limit}
      </meter>
      <p class="muted">{budget.used.toLocaleString()} used today (UTC)</p>
    </>
  );
}

/** When the waiting tasks should be done: not before the next automatic run takes them up
 * (the estimate counts only Xero's calls); undefined while automatic sync is off. */
function doneBy(dashboard: Dashboard, estimate: { done_by: string; minutes: number }): string | undefined {
  if (dashboard.auto_sync === "off") return undefined;
  const next = dashboard.next_run ? Date.parse(dashboard.next_run) : NaN;
  const alone = Date.parse(estimate.done_by);
  if (Number.isNaN(next) || next + estimate.minutes * 60_000 <= alone) return estimate.done_by;
  return new Date(next + estimate.minutes * 60_000).toISOString();
}

function Backfill(props: { history: NonNullable<Dashboard["history"]>; dashboard: Dashboard }): JSX.Element {
  const { history } = props;
  const by = history.estimate ? doneBy(props.dashboard, history.estimate) : undefined;
  const total = history.done + history.waiting;
  return (
    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">History back-fill</h2>
      <p>
        Orders from <When value={history.start} dateOnly /> {history.chosen ? "(chosen)" : "(the default month back)"}
      </p>
      {total ? (
        <>
          <progress class="backfill" max={total} value={history.done} aria-label="Back-fill done">
            {history.done} of {total}
          </progress>
          <p class="muted">
            {history.done} done, {history.waiting} waiting
            {history.estimate && history.waiting ? (
              <>
                {"; "}
                {by ? (
                  <>
                    {history.estimate.fits_today ? "today's Xero budget covers them" : "more than today's Xero budget"}, done by{" "}
                    <When value={by} />
                  </>
                ) : (
                  <>automatic sync is off: they wait until synced from <a href={href("/tasks", { status: "new" })}>Tasks</a></>
                )}
              </>
            ) : null}
          </p>
        </>
      ) : (
        <p class="muted">No orders brought in yet.</p>
      )}
    </section>
  );
}

function Overview(props: { dashboard: Dashboard }): JSX.Element {
  const { dashboard } = props;
  const { connection, oldest_waiting: oldest, drift } = dashboard;
  return (
    <>
      <ConnectionLead connection={connection} />
      <div class="grid dashboard-grid">
        <section class="panel" aria-labelledby="xero-title">
          <div class="panel-head">
            <h2 id="xero-title">Xero</h2>
            <a href={href("/connection")}>Connection</a>
          </div>
          <dl class="facts">
            <Fact term="Organisation">
              {connection.organisation ? <strong class="org-name">{connection.organisation}</strong> : <span class="muted">None</span>}
            </Fact>
            <Fact term="Status">
              <Status value={connection.status === "choose_tenant" ? "choose_the_organisation" : connection.status} />
            </Fact>
            {connection.connected_since ? (
              <Fact term="Connected since">
                <When value={connection.connected_since} />
              </Fact>
            ) : null}
          </dl>
        </section>
        <section class="panel" aria-labelledby="budget-title">
          <h2 id="budget-title">Today's Xero budget</h2>
          <Budget budget={dashboard.budget_today} />
        </section>
        <section class="panel" aria-labelledby="runs-title">
          <div class="panel-head">
            <h2 id="runs-title">Automatic sync</h2>
            <a href={href("/settings")}>Settings</a>
          </div>
          <dl class="facts">
            <Fact term="Frequency">{AUTO_SYNC[dashboard.auto_sync] ?? humanize(dashboard.auto_sync)}</Fact>
            <Fact term="Last run">
              <When value={dashboard.last_run} />
            </Fact>
            <Fact term="Next run">
              <When value={dashboard.next_run} />
            </Fact>
          </dl>
        </section>
      </div>
      <TaskCounts dashboard={dashboard} />
      <div class="grid dashboard-grid">
        <section class="panel" aria-labelledby="oldest-title">
          <h2 id="oldest-title">Oldest waiting task</h2>
          {oldest ? (
            <>
              <p>
                <a href={href(`/tasks/${encodeURIComponent(oldest.task_id)}`)}>Order {oldest.order_number}</a>{" "}
                <Status value={oldest.status} />
              </p>
              <p class="muted">
                Waiting since <When value={oldest.created_at} />
              </p>
              {oldest.reason ? <p>{oldest.reason}</p> : null}
            </>
          ) : (
            <p class="muted">Nothing is waiting.</p>
          )}
        </section>
        <section class="panel" aria-labelledby="drift-title">
          <div class="panel-head">
            <h2 id="drift-title">Drift found</h2>
            <a href={href("/reconcile")}>Reconcile</a>
          </div>
          {drift ? (
            <>
              <p class="big-figure">
                {drift.total} <span class="muted">{drift.total === 1 ? "difference" : "differences"}</span>
              </p>
              {drift.total ? (
                <ul class="drift-counts">
                  {Object.entries(drift.counts)
                    .filter(([, n]) => n > 0)
                    .map(([kind, n]) => (
                      <li key={kind}>
                        {humanize(kind)}: {n}
                      </li>
                    ))}
                </ul>
              ) : null}
              <p class="muted">
                Checked <When value={drift.checked_at} />
              </p>
            </>
          ) : (
            <p class="muted">The daily drift report has not run yet.</p>
          )}
        </section>
        {dashboard.history ? <Backfill history={dashboard.history} dashboard={dashboard} /> : null}
      </div>
    </>
  );
}

export function DashboardScreen(props: { route: Route }): JSX.Element {
  void props.route;
  const loaded = useLoad(() => call(api.GET("/dashboard")), []);
  usePainted("cbxero:dashboard-painted", loaded.data !== undefined); // benchmarks/web.py
  const [queued, setQueued] = useState<number | null>(null);
  const check = useAction(async () => {
    const answer = await call(api.POST("/tasks/check-changes", { body: {} }));
    setQueued(answer.jobs_queued);
    return answer;
  });
  useEffect(() => {
    if (queued === null) return undefined;
    const later = window.setTimeout(() => void loaded.reload(), RELOAD_AFTER_CHECK_MS);
    return () => window.clearTimeout(later);
  }, [queued]);
  return (
    <Page
      title="Dashboard"
      actions={
        <>
          {/* aria-disabled, not disabled: a disabled button loses the keyboard's focus */}
          <button
            type="button"
            class="button"
            aria-disabled={loaded.loading ? "true" : undefined}
            onClick={() => void (loaded.loading ? undefined : loaded.reload())}
          >
            Refresh
          </button>
          <button
            type="button"
            class="button button-primary"
            aria-disabled={check.busy ? "true" : undefined}
            onClick={() => void (check.busy ? undefined : check.run())}
          >
            {check.busy ? "Checking…" : "Check changes"}
          </button>
        </>
      }
    >
      {queued !== null ? (
        <Notice kind={queued ? "success" : "info"}>
          <p>
            {queued
              ? `Checking changes for ${queued} ${queued === 1 ? "customer" : "customers"}: new orders become tasks in a moment.`
              : "No customers to check: the marketplace lists none for you."}{" "}
            <a href={href("/tasks", { status: "new" })}>See new tasks</a>
          </p>
        </Notice>
      ) : null}
      <ErrorNotice error={check.error} />
      <ErrorNotice error={loaded.error} />
      {loaded.data ? <Overview dashboard={loaded.data} /> : loaded.loading ? <Loading what="the dashboard" /> : null}
    </Page>
  );
}
