// The manual sync wizard: step through the planned lines (description, quantity, price,
// discount and price source editable), choose where they go (a new invoice, the customer's
// latest, or a chosen one), review, sync, and see the outcome with the link to Xero.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, api, call, type Schemas } from "../../api";
import { asApiError, useAction, useLoad } from "../../load";
import { href } from "../../router";
import { ErrorNotice, Loading, Money, Notice, Page, SelectField, Status, TextField } from "../../ui";
import { type Task, XeroLink, amount, canSyncByHand } from "./common";
import { PlannedLines } from "./lines";

type Line = Schemas["LineItem"];
type Edit = Schemas["LineEdit-Input"];
type Target = "" | Schemas["TargetChoice"];
type PriceSource = "" | Schemas["PriceSource"];

interface Draft {
  description: string;
  quantity: string;
  unit_amount: string;
  discount_amount: string;
  price_source: PriceSource;
}
type DraftField = keyof Draft;
type Problems = Partial<Record<DraftField, string>>;

interface Editable {
  index: number; // the order line (a LineEdit's index)
  kind: "invoice" | "credit note";
  line: Line;
  before?: Schemas["LineEdit-Output"]; // a sync by hand's edit already on the task
}

const PRICE_SOURCES = [
  { value: "", label: "As the settings say" },
  { value: "marketplace", label: "The marketplace order" },
  { value: "xero", label: "The Xero item’s sales price" },
];

const TARGETS: { value: Target; label: string; hint: string }[] = [
  { value: "", label: "As the settings say", hint: "The “Synchronize new or existing invoices” setting decides." },
  { value: "new", label: "A new invoice", hint: "The order gets an invoice of its own." },
  {
    value: "latest",
    label: "The customer’s latest invoice",
    hint: "While Xero still allows editing it (draft, submitted, or authorised with nothing paid or credited); otherwise a new one.",
  },
  { value: "given", label: "A chosen invoice", hint: "One of the customer’s invoices in Xero." },
];

function draftOf(item: Editable): Draft {
  const { line, before } = item;
  return {
    description: line.Description,
    quantity: String(line.Quantity),
    unit_amount: amount(line.UnitAmount),
    discount_amount: line.DiscountAmount ? amount(line.DiscountAmount) : "",
    price_source: before?.price_source ?? "",
  };
}

const sentence = (words: string): string => `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;

const NUMBER = /^-?\d+(\.\d+)?$/;

function problemsOf(draft: Draft): Problems {
  const problems: Problems = {};
  if (!draft.description.trim()) problems.description = "Give the line a description.";
  if (!NUMBER.test(draft.quantity.trim())) problems.quantity = "A number, such as 2 or 1.5.";
  if (draft.price_source !== "xero" && !NUMBER.test(draft.unit_amount.trim()))
    problems.unit_amount = "An amount, such as 12.50.";
  const discount = draft.discount_amount.trim();
  if (discount && (!NUMBER.test(discount) || Number(discount) < 0))
    problems.discount_amount = "An amount of 0 or more, or empty for none.";
  return problems;
}

/** The edit this line sends: what the user changed, over what an earlier sync by hand kept. */
function editOf(item: Editable, original: Draft, draft: Draft): Edit | undefined {
  const edit: Edit = { index: item.index };
  const before = item.before;
  const changed = (field: DraftField): boolean => draft[field].trim() !== original[field].trim();
  if (changed("description") || before?.description) edit.description = draft.description.trim();
  if (changed("quantity") || before?.quantity) edit.quantity = draft.quantity.trim();
  if (draft.price_source !== "xero" && (changed("unit_amount") || before?.unit_amount))
    edit.unit_amount = draft.unit_amount.trim();
  if (changed("discount_amount") || before?.discount_amount)
    edit.discount_amount = draft.discount_amount.trim() || "0";
  if (draft.price_source) edit.price_source = draft.price_source;
  return Object.keys(edit).length > 1 ? edit : undefined;
}

/** The line as the review shows it (the Xero item's price is read when syncing). */
function preview(item: Editable, draft: Draft): Line {
  return {
    ...item.line,
    Description: draft.description,
    Quantity: Number(draft.quantity),
    UnitAmount: Number(draft.unit_amount),
    DiscountAmount: draft.discount_amount ? Number(draft.discount_amount) : null,
  };
}

function fieldProblem(error: ApiError | undefined, position: number, field: string): string | undefined {
  const names = [`edits.${position}.${field}`, `body.edits.${position}.${field}`];
  return error?.fields.find((f) => names.some((n) => f.field === n || f.field.startsWith(`${n}.`)))?.problem;
}

/** A field the wizard shows its problem beside (a line's value, the chosen invoice). */
const besideField = (field: string): boolean =>
  /^(body\.)?(edits\.\d+\.(description|quantity|unit_amount|discount_amount|price_source)|invoice_id)/.test(field);

function Steps(props: { names: string[]; at: number }): JSX.Element {
  return (
    <ol class="steps" aria-label="Steps">
      {props.names.map((name, n) => (
        <li key={name} class={n === props.at ? "step-now" : n < props.at ? "step-done" : ""} aria-current={n === props.at ? "step" : undefined}>
          <span class="step-number" aria-hidden="true">{n + 1}</span> {name}
        </li>
      ))}
    </ol>
  );
}

function LineStep(props: {
  item: Editable;
  number: number;
  count: number;
  currency: string;
  original: Draft;
  draft: Draft;
  problems: Problems;
  onChange: (draft: Draft) => void;
}): JSX.Element {
  const { draft, original, problems } = props;
  const set = (field: DraftField) => (value: string) => props.onChange({ ...draft, [field]: value });
  const was = (field: DraftField): string | undefined =>
    draft[field].trim() !== original[field].trim() ? `Was: ${original[field] || "none"}` : undefined;
  return (
    <fieldset class="panel line-step">
      <legend>
        {props.item.kind === "invoice" ? "Invoice" : "Credit note"} line {props.number} of {props.count}
        {props.item.line.ItemCode ? <span class="muted"> · item {props.item.line.ItemCode}</span> : null}
      </legend>
      <TextField label="Description" value={draft.description} onInput={set("description")} error={problems.description} hint={was("description")} required />
      <div class="line-numbers">
        <TextField label="Quantity" value={draft.quantity} onInput={set("quantity")} error={problems.quantity} hint={was("quantity")} required />
        <SelectField
          label="Price from"
          value={draft.price_source}
          options={PRICE_SOURCES}
          onChange={(v) => props.onChange({ ...draft, price_source: v as PriceSource })}
          error={problems.price_source}
        />
        {draft.price_source === "xero" ? (
          <p class="hint xero-price">The unit price is the Xero item’s sales price, read when syncing.</p>
        ) : (
          <TextField
            label={`Unit price (${props.currency})`}
            value={draft.unit_amount}
            onInput={set("unit_amount")}
            error={problems.unit_amount}
            hint={was("unit_amount")}
            required
          />
        )}
        <TextField
          label={`Discount (${props.currency})`}
          value={draft.discount_amount}
          onInput={set("discount_amount")}
          error={problems.discount_amount}
          hint={was("discount_amount") ?? "An amount off the line; empty for none."}
        />
      </div>
      <p class="line-amount">
        Line amount: <Money amount={lineAmount(draft)} currency={props.currency} />
        {lineAmount(draft) !== lineAmount(original) ? (
          <span class="muted">
            {" "}
            (was <Money amount={lineAmount(original)} currency={props.currency} />)
          </span>
        ) : null}
      </p>
    </fieldset>
  );
}

/** Quantity × unit price − discount, to the cent, as the review shows it (Xero rounds its own). */
function lineAmount(draft: Draft): string {
  if (draft.price_source === "xero") return "";
  const value = Number(draft.quantity) * Number(draft.unit_amount) - Number(draft.discount_amount || 0);
  return Number.isFinite(value) ? value.toFixed(2) : "";
}

function TargetStep(props: {
  task: Task;
  target: Target;
  invoiceId: string;
  onTarget: (t: Target) => void;
  onInvoice: (id: string) => void;
  problem: string | undefined;
}): JSX.Element {
  // The customer's invoices this integration made: the ones a user most often means.
  const invoices = useLoad(
    () =>
      call(api.GET("/tasks", { params: { query: { customer_id: props.task.customer_id, status: "synced", limit: 50 } } })),
    [props.task.customer_id],
  );
  const known = new Map<string, string>();
  for (const t of invoices.data?.items ?? [])
    if (t.document?.kind === "invoice") known.set(t.document.id, `${t.document.number ?? t.document.id} (order ${t.order_number})`);
  const choice = known.has(props.invoiceId) ? props.invoiceId : props.invoiceId ? "other" : "";
  return (
    <fieldset class="panel">
      <legend>Where the lines go</legend>
      <div class="choices">
        {TARGETS.map((t) => (
          <div class="choice" key={t.value}>
            <input
              type="radio"
              id={`target-${t.value || "setting"}`}
              name="target"
              value={t.value}
              checked={props.target === t.value}
              aria-describedby={`target-${t.value || "setting"}-hint`}
              onChange={() => props.onTarget(t.value)}
            />
            <label for={`target-${t.value || "setting"}`}>{t.label}</label>
            <p class="hint" id={`target-${t.value || "setting"}-hint`}>
              {t.hint}
            </p>
          </div>
        ))}
      </div>
      {props.target === "given" ? (
        <div class="given">
          <SelectField
            label="Invoice"
            value={choice}
            options={[
              { value: "", label: known.size ? "Choose an invoice…" : "No invoice made by this integration yet" },
              ...[...known.entries()].map(([id, label]) => ({ value: id, label })),
              { value: "other", label: "Another invoice: type its Xero ID" },
            ]}
            onChange={(v) => props.onInvoice(v === "other" ? " " : v)}
            error={choice === "other" ? undefined : props.problem}
          />
          {choice === "other" ? (
            <TextField
              label="Xero invoice ID"
              value={props.invoiceId.trim()}
              onInput={(v) => props.onInvoice(v || " ")}
              hint="As in the invoice’s address in Xero, such as 2b6b2a3c-…"
              error={props.problem}
            />
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}

/** What became of a sync asked for: "Sending to Xero…" until the worker is done, then the link. */
export function Outcome(props: {
  taskId: string;
  requested: Task;
  onDone?: () => void;
  onTaskPage?: boolean;
}): JSX.Element {
  const [task, setTask] = useState<Task>(props.requested);
  const [error, setError] = useState<ApiError | undefined>();
  const [gaveUp, setGaveUp] = useState(false);
  const waiting = task.status === "new" || task.status === "processing";
  const { onDone } = props;
  useEffect(() => {
    if (!waiting) onDone?.();
  }, [waiting, onDone]);
  useEffect(() => {
    if (!waiting) return;
    let tries = 0;
    const timer = window.setInterval(() => {
      tries += 1;
      if (tries > 120) {
        setGaveUp(true);
        window.clearInterval(timer);
        return;
      }
      call(api.GET("/tasks/{taskId}", { params: { path: { taskId: props.taskId } } }))
        .then((detail) => setTask(detail.task))
        .catch((caught: unknown) => setError(asApiError(caught)));
    }, 1000);
    return () => window.clearInterval(timer);
  }, [waiting, props.taskId]);
  const back = href(`/tasks/${encodeURIComponent(props.taskId)}`);
  return (
    <section class="panel outcome" aria-labelledby="outcome-title" aria-live="polite">
      <h2 id="outcome-title">{props.onTaskPage ? "Sync" : "Outcome"}</h2>
      <ErrorNotice error={error} />
      {waiting ? (
        <p role="status">
          {gaveUp ? "Still waiting for the sync to run: the task shows the outcome once it has." : "Sending to Xero…"} <Status value={task.status} />
        </p>
      ) : task.status === "synced" ? (
        <Notice kind="success">
          <p>Synced to Xero.</p>
          {task.document ? (
            <p>
              <XeroLink doc={task.document} long />{" "}
              {task.document.total ? <>(total <Money amount={task.document.total} currency={task.currency} />)</> : null}
            </p>
          ) : null}
          {task.credit_note ? (
            <p>
              <XeroLink doc={task.credit_note} long />
            </p>
          ) : null}
          {task.note ? <p>{task.note}</p> : null}
        </Notice>
      ) : (
        <Notice kind="warning">
          <p>
            Not synced: <Status value={task.status} />
          </p>
          {task.reason ? <p>{task.reason}</p> : null}
        </Notice>
      )}
      {props.onTaskPage ? null : (
        <p>
          <a href={back}>Back to the task</a> · <a href={href("/tasks")}>All tasks</a>
        </p>
      )}
    </section>
  );
}

export function SyncWizard(props: { taskId: string }): JSX.Element {
  const loaded = useLoad(
    () => call(api.GET("/tasks/{taskId}", { params: { path: { taskId: props.taskId } } })),
    [props.taskId],
  );
  const back = href(`/tasks/${encodeURIComponent(props.taskId)}`);
  const title = loaded.data ? `Sync order ${loaded.data.task.order_number} by hand` : "Sync by hand";
  if (!loaded.data) {
    return (
      <Page title={title}>
        <p>
          <a href={back}>← Back to the task</a>
        </p>
        {loaded.error ? <ErrorNotice error={loaded.error} /> : <Loading what="the task" />}
      </Page>
    );
  }
  const { task, planned } = loaded.data;
  return (
    <Page title={title}>
      <p>
        <a href={back}>← Back to the task</a>
      </p>
      <Wizard key={task.order_id} task={task} planned={planned} />
    </Page>
  );
}

function Wizard(props: { task: Task; planned: Schemas["PlannedDocuments"] }): JSX.Element {
  const { task, planned } = props;
  const items: Editable[] = [
    ...(planned.invoice_lines ?? []).map((line, n) => ({ line, n, kind: "invoice" as const, indexes: planned.invoice_line_indexes })),
    ...(planned.credit_note_lines ?? []).map((line, n) => ({ line, n, kind: "credit note" as const, indexes: planned.credit_note_line_indexes })),
  ].map(({ line, n, kind, indexes }) => {
    const index = indexes?.[n] ?? n;
    return { index, kind, line, before: task.edits?.find((e) => e.index === index) };
  });
  const originals = items.map(draftOf);
  const [drafts, setDrafts] = useState<Draft[]>(originals);
  const [target, setTarget] = useState<Target>(task.target ?? "");
  const [invoiceId, setInvoiceId] = useState(task.target_invoice_id ?? "");
  const [step, setStep] = useState(0);
  const [shown, setShown] = useState<Problems[]>([]); // client-side problems, once a step is left
  const [targetProblem, setTargetProblem] = useState<string | undefined>();
  const [requested, setRequested] = useState<Task | undefined>();
  const [sentOrder, setSentOrder] = useState<number[]>([]); // item of each edit sent, by position
  const names = [...items.map((_, n) => `Line ${n + 1}`), "Where it goes", "Review"];
  // A new step takes the focus to its first control (or the review's heading), for keyboards.
  const form = useRef<HTMLFormElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    form.current?.querySelector<HTMLElement>("fieldset input, #review-title")?.focus();
  }, [step]);
  const targetStep = items.length;
  const reviewStep = items.length + 1;

  const sync = useAction(async () => {
    const edits: Edit[] = [];
    const order: number[] = [];
    items.forEach((item, n) => {
      const edit = editOf(item, originals[n] as Draft, drafts[n] as Draft);
      if (edit) {
        edits.push(edit);
        order.push(n);
      }
    });
    setSentOrder(order);
    const body: Schemas["SyncOneBody"] = {
      edits,
      target: target || null,
      invoice_id: target === "given" ? invoiceId.trim() || null : null,
    };
    const answer = await call(api.POST("/tasks/{taskId}/sync", { params: { path: { taskId: task.order_id } }, body }));
    setRequested(answer);
    return answer;
  });

  // Where the API named a field: the problem beside it, and the wizard on its step.
  const apiProblems: Problems[] = items.map((_, n) => {
    const position = sentOrder.indexOf(n);
    if (position < 0 || !sync.error) return {};
    const problems: Problems = {};
    for (const field of ["description", "quantity", "unit_amount", "discount_amount", "price_source"] as const) {
      const problem = fieldProblem(sync.error, position, field);
      if (problem) problems[field] = problem;
    }
    return problems;
  });
  const invoiceProblem = sync.error?.problem("invoice_id") ?? targetProblem;
  useEffect(() => {
    if (!sync.error) return;
    const first = apiProblems.findIndex((p) => Object.keys(p).length > 0);
    if (first >= 0) setStep(first);
    else if (sync.error.problem("invoice_id") || sync.error.problem("target")) setStep(targetStep);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sync.error]);

  if (!canSyncByHand(task) && !requested) {
    return (
      <Notice kind="info">
        <p>
          This task is <Status value={task.status} />: only new, failed or waiting tasks are synced by hand.
        </p>
      </Notice>
    );
  }
  if (requested) return <Outcome taskId={task.order_id} requested={requested} />;
  if (planned.problem) {
    return (
      <Notice kind="warning">
        <p>{planned.problem}</p>
        <p>
          <a href={href("/mapping")}>Open Mapping</a> to fix it, then come back.
        </p>
      </Notice>
    );
  }

  const next = (): void => {
    if (step < items.length) {
      const problems = problemsOf(drafts[step] as Draft);
      const all = [...shown];
      all[step] = problems;
      setShown(all);
      if (Object.keys(problems).length) return;
    }
    if (step === targetStep && target === "given" && !invoiceId.trim()) {
      setTargetProblem("Choose the invoice the lines go onto.");
      return;
    }
    setTargetProblem(undefined);
    setStep(step + 1);
  };
  const edited = new Set(items.map((item, n) => (editOf(item, originals[n] as Draft, drafts[n] as Draft) ? n : -1)).filter((n) => n >= 0));
  const targetWords = TARGETS.find((t) => t.value === target)?.label ?? "";

  return (
    <form
      ref={form}
      class="wizard"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (step === reviewStep) void sync.run();
        else next();
      }}
    >
      <Steps names={names} at={step} />
      {planned.note ? <p class="hint">{sentence(planned.note)}</p> : null}
      {step < items.length ? (
        <LineStep
          item={items[step] as Editable}
          number={step + 1}
          count={items.length}
          currency={task.currency}
          original={originals[step] as Draft}
          draft={drafts[step] as Draft}
          problems={{ ...(shown[step] ?? {}), ...(apiProblems[step] ?? {}) }}
          onChange={(draft) => {
            sync.clear(); // the API's word on the old values no longer holds
            const all = [...drafts];
            all[step] = draft;
            setDrafts(all);
            if (shown[step]) {
              const again = [...shown];
              again[step] = problemsOf(draft);
              setShown(again);
            }
          }}
        />
      ) : null}
      {step === targetStep ? (
        <TargetStep
          task={task}
          target={target}
          invoiceId={invoiceId}
          onTarget={(t) => {
            setTarget(t);
            setTargetProblem(undefined);
          }}
          onInvoice={setInvoiceId}
          problem={invoiceProblem}
        />
      ) : null}
      {step === reviewStep ? (
        <section class="panel" aria-labelledby="review-title">
          <h2 id="review-title" tabIndex={-1}>
            Review
          </h2>
          {(["invoice", "credit note"] as const).map((kind) => {
            const chosen = items.map((item, n) => ({ item, n })).filter(({ item }) => item.kind === kind);
            if (!chosen.length) return null;
            return (
              <PlannedLines
                key={kind}
                caption={kind === "invoice" ? "Invoice lines" : "Credit note lines"}
                currency={task.currency}
                lines={chosen.map(({ item, n }) => preview(item, drafts[n] as Draft))}
                edited={new Set(chosen.map(({ n }, at) => (edited.has(n) ? at : -1)))}
              />
            );
          })}
          <p>
            <strong>Goes onto:</strong> {targetWords}
            {target === "given" ? ` (${invoiceId.trim()})` : ""}
          </p>
          <p class="hint">{edited.size ? `${edited.size} line${edited.size === 1 ? "" : "s"} edited.` : "No line edited: the order’s lines as planned."}</p>
        </section>
      ) : null}
      {sync.error && sync.error.fields.length > 0 && sync.error.fields.every((f) => besideField(f.field)) ? (
        <Notice kind="error">
          <p>Nothing was synced: correct the value marked beside its field, then sync again.</p>
        </Notice>
      ) : (
        <ErrorNotice error={sync.error} shown={sync.error?.fields.filter((f) => besideField(f.field)).map((f) => f.field) ?? []} />
      )}
      <div class="wizard-actions">
        <button type="button" class="button" disabled={step === 0} onClick={() => setStep(step - 1)}>
          Back
        </button>
        {step === reviewStep ? (
          <button type="submit" class="button button-primary" disabled={sync.busy}>
            {sync.busy ? "Syncing…" : "Sync to Xero"}
          </button>
        ) : (
          <button type="submit" class="button button-primary">
            Next
          </button>
        )}
      </div>
    </form>
  );
}
