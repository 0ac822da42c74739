// Reconcile: the drift report between the marketplace's orders, the tasks and Xero for a period,
// grouped by kind in plain words, and each difference's repairs, done only on the reseller's word.

import type { JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api, ApiError, call, type Schemas } from "../api";
import { asApiError, useLoad } from "../load";
import { navigate, type Route } from "../router";
import { ErrorNotice, Loading, Notice, Page, TextField, When } from "../ui";
import "./reconcile.css";
import { RepairDialog, Unplaced, type RepairExtra } from "./reconcile/repair_dialog";
import {
  CHANGES_XERO,
  concerns,
  countsInWords,
  dayEnd,
  dayStart,
  daysAgo,
  KINDS,
  REPAIRS,
  type Difference,
  type Repair,
} from "./reconcile/words";

type Report = Schemas["DriftReport"];

interface Outcome {
  state: "done" | "gone" | "error";
  message: string;
  error?: ApiError;
}

interface Period {
  from: string;
  to: string;
}

/** Needs a dialog: a reason, a choice, or a second "yes" before Xero changes. */
const ASKS: ReadonlySet<Repair> = new Set<Repair>(["ignore", "remap", ...CHANGES_XERO]);

export function ReconcileScreen(props: { route: Route }): JSX.Element {
  const { query } = props.route;
  const [from, setFrom] = useState(query.get("from") ?? daysAgo(30));
  const [to, setTo] = useState(query.get("to") ?? daysAgo(0));
  const [asked, setAsked] = useState<Period | null>(
    query.get("from") && query.get("to") ? { from: query.get("from") ?? "", to: query.get("to") ?? "" } : null,
  );
  const report = useLoad(
    async (): Promise<Report | null> =>
      asked
        ? call(api.GET("/reconcile", { params: { query: { from: dayStart(asked.from), to: dayEnd(asked.to) } } }))
        : null,
    [asked],
  );
  const run = (): void => {
    setAsked({ from, to });
    navigate("/reconcile", { from, to });
  };
  const error = report.error;
  return (
    <Page title="Reconcile">
      <p class="drift-intro">
        Compare the marketplace's orders, the sync tasks and Xero for a period, and repair what differs. Nothing
        changes until you choose a repair.
      </p>
      <LastScheduledCheck />
      <form
        class="panel filters drift-period"
        aria-label="Period"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <TextField
          label="From"
          type="date"
          value={from}
          onInput={setFrom}
          max={to || undefined}
          error={error?.problem("from")}
        />
        <TextField
          label="To"
          type="date"
          value={to}
          onInput={setTo}
          min={from || undefined}
          error={error?.problem("to")}
        />
        <div class="field">
          <button type="submit" class="button button-primary" disabled={report.loading && asked !== null}>
            {report.loading && asked ? "Checking…" : "Run the report"}
          </button>
        </div>
        <p class="hint drift-limits">A period of at most 366 days and 2,000 orders.</p>
      </form>
      <Unplaced error={error} shown={["from", "to"]} />
      {report.loading && asked ? <Loading what="the drift report" /> : null}
      {report.data && !report.loading ? <ReportView report={report.data} again={() => void report.reload()} /> : null}
    </Page>
  );
}

function LastScheduledCheck(): JSX.Element | null {
  const dashboard = useLoad(() => call(api.GET("/dashboard")), []);
  if (dashboard.loading || dashboard.error || !dashboard.data) return null;
  const drift = dashboard.data.drift;
  if (!drift) {
    return (
      <p class="drift-last muted">
        The daily drift check has not run yet (it checks resellers with automatic sync on).
      </p>
    );
  }
  return (
    <div class={`drift-last notice ${drift.total ? "notice-warning" : "notice-info"}`}>
      <p>
        The last daily check, <When value={drift.checked_at} />,{" "}
        {drift.total ? (
          <>
            found <strong>{drift.total === 1 ? "1 difference" : `${drift.total} differences`}</strong> (
            {countsInWords(drift.counts)}). Run the report to see and repair them.
          </>
        ) : (
          "found no differences."
        )}
      </p>
    </div>
  );
}

function ReportView(props: { report: Report; again: () => void }): JSX.Element {
  const { report } = props;
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [asking, setAsking] = useState<{ difference: Difference; repair: Repair } | null>(null);
  const [dialogError, setDialogError] = useState<ApiError | undefined>(undefined);
  useEffect(() => setOutcomes({}), [report]);

  const settle = (key: string, outcome: Outcome): void => setOutcomes((all) => ({ ...all, [key]: outcome }));

  const repair = async (difference: Difference, action: Repair, extra: RepairExtra = {}): Promise<void> => {
    setBusy(difference.key);
    setDialogError(undefined);
    try {
      const done = await call(
        api.POST("/reconcile/repairs", {
          body: { from: report.start, to: report.end, key: difference.key, action, ...extra },
        }),
      );
      settle(difference.key, { state: "done", message: done.message });
      setAsking(null);
    } catch (caught) {
      const failure = asApiError(caught);
      if (failure.status === 409 && failure.problem("key") !== undefined) {
        settle(difference.key, { state: "gone", message: failure.message });
        setAsking(null);
      } else if (ASKS.has(action)) {
        setDialogError(failure); // beside the field it names, in the dialog
      } else {
        settle(difference.key, { state: "error", message: failure.message, error: failure });
      }
    } finally {
      setBusy(null);
    }
  };

  const total = report.differences.length;
  return (
    <div class="drift-report">
      <p class="drift-summary" role="status">
        Checked <When value={report.checked_at} />: {counted(report.orders, "order")},{" "}
        {counted(report.tasks, "task")} and {counted(report.documents, "Xero document")} from <When value={report.start} dateOnly /> to{" "}
        <When value={report.end} dateOnly />.{" "}
        {total ? (
          <strong>{total === 1 ? "1 difference found." : `${total} differences found.`}</strong>
        ) : (
          <strong>The books agree: no differences.</strong>
        )}
        {report.ignored ? ` ${report.ignored} ignored earlier ${report.ignored === 1 ? "is" : "are"} not listed.` : ""}
      </p>
      {KINDS.map(({ kind, title, about }) => {
        const listed = report.differences.filter((d) => d.kind === kind);
        if (!listed.length) return null;
        return (
          <KindSection key={kind} title={title} about={about} count={listed.length}>
            {listed.map((difference) => (
              <DifferenceRow
                key={difference.key}
                difference={difference}
                outcome={outcomes[difference.key]}
                busy={busy === difference.key}
                onRepair={(action) => {
                  if (ASKS.has(action)) {
                    setDialogError(undefined);
                    setAsking({ difference, repair: action });
                  } else {
                    void repair(difference, action);
                  }
                }}
                again={props.again}
              />
            ))}
          </KindSection>
        );
      })}
      {asking ? (
        <RepairDialog
          difference={asking.difference}
          repair={asking.repair}
          busy={busy === asking.difference.key}
          error={dialogError}
          onSubmit={(extra) => void repair(asking.difference, asking.repair, extra)}
          onClose={() => setAsking(null)}
        />
      ) : null}
    </div>
  );
}

function counted(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function repairLabel(difference: Difference, repair: Repair): string {
  if (repair !== "remap") return REPAIRS[repair].label;
  return difference.kind === "item_deleted" ? "Map to another item…" : "Map to another contact…";
}

function KindSection(props: { title: string; about: string; count: number; children: JSX.Element[] }): JSX.Element {
  const id = useId();
  return (
    <section class="drift-kind" aria-labelledby={id}>
      <h2 id={id}>
        {props.title} <span class="drift-count">{props.count}</span>
      </h2>
      <p class="muted drift-about">{props.about}</p>
      <ul class="drift-list">{props.children}</ul>
    </section>
  );
}

function DifferenceRow(props: {
  difference: Difference;
  outcome: Outcome | undefined;
  busy: boolean;
  onRepair: (repair: Repair) => void;
  again: () => void;
}): JSX.Element {
  const { difference, outcome } = props;
  const id = useId();
  const settled = outcome?.state === "done" || outcome?.state === "gone";
  const said = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (outcome) said.current?.focus(); // its buttons are gone: keep the keyboard's place here
  }, [outcome]);
  return (
    <li class={`drift-item panel ${settled ? "drift-settled" : ""}`} aria-labelledby={`${id}-what`}>
      <h3 id={`${id}-what`} class="drift-what">
        {concerns(difference)}
      </h3>
      <p class="drift-message">{difference.message}</p>
      {difference.document_ids.length ? (
        <p class="muted drift-docs">
          Xero {difference.document_ids.length === 1 ? "document" : "documents"}:{" "}
          {difference.document_ids.map((doc) => (
            <code key={doc}>{doc} </code>
          ))}
        </p>
      ) : null}
      {settled ? null : (
        <div class="drift-repairs" role="group" aria-label={`Repairs for ${concerns(difference)}`}>
          {difference.repairs.map((repair, n) => (
            <button
              key={repair}
              type="button"
              class={`button ${n === 0 ? "button-primary" : ""}`}
              disabled={props.busy}
              title={REPAIRS[repair].does}
              onClick={() => props.onRepair(repair)}
            >
              {repairLabel(difference, repair)}
            </button>
          ))}
        </div>
      )}
      <div aria-live="polite" class="drift-outcome" tabIndex={-1} ref={said}>
        {outcome?.state === "done" ? <Notice kind="success">{outcome.message}</Notice> : null}
        {outcome?.state === "gone" ? (
          <Notice kind="warning">
            <p>
              <strong>This difference is no longer there.</strong> It was repaired, or the books changed since
              the report was run.
            </p>
            <p class="drift-why">{outcome.message}</p>
            <button type="button" class="button" onClick={props.again}>
              Run the report again
            </button>
          </Notice>
        ) : null}
        {outcome?.state === "error" ? <ErrorNotice error={outcome.error} /> : null}
      </div>
    </li>
  );
}
