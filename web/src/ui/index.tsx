// The few building blocks every screen shares: labelled fields with their errors beside them,
// notices, a pager, a dialog, dates and statuses. Keyboard-usable; every control has a label.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import type { ApiError } from "../api";

export function Page(props: {
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}): JSX.Element {
  const id = useId();
  return (
    <section class="page" aria-labelledby={id}>
      <div class="page-head">
        <h1 id={id}>{props.title}</h1>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </section>
  );
}

export type Kind = "error" | "info" | "success" | "warning";

export function Notice(props: { kind: Kind; children: ComponentChildren }): JSX.Element {
  const urgent = props.kind === "error" || props.kind === "warning";
  return (
    <div class={`notice notice-${props.kind}`} role={urgent ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** An API failure: its message, and the fields it names that no field on screen shows. */
export function ErrorNotice(props: { error: ApiError | undefined; shown?: string[] }): JSX.Element | null {
  const { error } = props;
  if (!error) return null;
  const shown = new Set((props.shown ?? []).flatMap((f) => [f, `body.${f}`]));
  // a field's problem that is the message itself is said once (no "taskId: " repeat of it)
  const rest = error.fields.filter((f) => !shown.has(f.field) && f.problem !== error.message);
  return (
    <Notice kind="error">
      <p>{error.message}</p>
      {rest.length ? (
        <ul>
          {rest.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.problem}
            </li>
          ))}
        </ul>
      ) : null}
    </Notice>
  );
}

export function Loading(props: { what?: string }): JSX.Element {
  return (
    <p class="loading" role="status">
      Loading{props.what ? ` ${props.what}` : ""}…
    </p>
  );
}

interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  class?: string;
}

function Described(props: FieldProps & { id: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class={`field ${props.error ? "field-invalid" : ""} ${props.class ?? ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, props: FieldProps): string | undefined {
  const ids = [props.hint ? `${id}-hint` : "", props.error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

export function TextField(
  props: FieldProps & {
    value: string;
    onInput: (value: string) => void;
    type?: "text" | "number" | "date" | "email" | "search";
    name?: string;
    step?: string;
    min?: string;
    max?: string;
    placeholder?: string;
    required?: boolean;
  },
): JSX.Element {
  const id = useId();
  return (
    <Described {...props} id={id}>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        step={props.step}
        min={props.min}
        max={props.max}
        placeholder={props.placeholder}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </Described>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField(
  props: FieldProps & {
    value: string;
    options: Option[];
    onChange: (value: string) => void;
    name?: string;
    disabled?: boolean;
  },
): JSX.Element {
  const id = useId();
  return (
    <Described {...props} id={id}>
      <select
        id={id}
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Described>
  );
}

export function CheckboxField(
  props: FieldProps & { checked: boolean; onChange: (checked: boolean) => void; name?: string },
): JSX.Element {
  const id = useId();
  return (
    <div class={`field field-check ${props.error ? "field-invalid" : ""}`}>
      <input
        id={id}
        type="checkbox"
        name={props.name}
        checked={props.checked}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/** Cursor pages: the API gives the next page's cursor; going back starts again at the first. */
export function Pager(props: {
  next: string | null | undefined;
  atFirst: boolean;
  onNext: (cursor: string) => void;
  onFirst: () => void;
  label?: string;
}): JSX.Element | null {
  if (props.atFirst && !props.next) return null;
  return (
    <nav class="pager" aria-label={props.label ?? "Pages"}>
      <button type="button" class="button" disabled={props.atFirst} onClick={props.onFirst}>
        First page
      </button>
      <button
        type="button"
        class="button"
        disabled={!props.next}
        onClick={() => props.next && props.onNext(props.next)}
      >
        Next page
      </button>
    </nav>
  );
}

/** A modal dialog (the platform's own: focus is kept inside, Escape closes it). */
export function Dialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class={`dialog ${props.wide ? "dialog-wide" : ""}`}
      aria-labelledby={id}
      onClose={props.onClose}
    >
      <div class="dialog-head">
        <h2 id={id}>{props.title}</h2>
        <button type="button" class="button button-quiet" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </div>
      {props.open ? props.children : null}
    </dialog>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function When(props: { value: string | null | undefined; dateOnly?: boolean }): JSX.Element {
  if (!props.value) return <span class="muted">—</span>;
  const parsed = new Date(props.value);
  if (Number.isNaN(parsed.getTime())) return <span>{props.value}</span>;
  return (
    <time dateTime={props.value}>{(props.dateOnly ? dateOnly : dateTime).format(parsed)}</time>
  );
}

const STATUS_KIND: Record<string, string> = {
  synced: "good",
  connected: "good",
  success: "good",
  failed: "bad",
  error: "bad",
  action_required: "warn",
  reconnect_needed: "warn",
  warning: "warn",
  ignored: "quiet",
  waiting: "info",
  pending: "info",
};

export function humanize(value: string): string {
  const words = value.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function Status(props: { value: string }): JSX.Element {
  return <span class={`status status-${STATUS_KIND[props.value] ?? "info"}`}>{humanize(props.value)}</span>;
}

export function Money(props: { amount: string | number | null | undefined; currency?: string | null }): JSX.Element {
  if (props.amount === null || props.amount === undefined || props.amount === "") {
    return <span class="muted">—</span>;
  }
  return (
    <span class="money">
      {String(props.amount)}
      {props.currency ? ` ${props.currency}` : ""}
    </span>
  );
}
