// The Settings window (gear menu > Settings): the nine settings of the store's Settings window
// in its own terms and order, then the accounting defaults. Saved whole (PUT) with the ETag it
// was read with, so a save over someone else's newer save is refused (412) and shown, never lost.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, answered, type ApiError } from "../api";
import { asApiError, useLoad } from "../load";
import type { Route } from "../router";
import { ErrorNotice, Loading, Notice, Page } from "../ui";
import { AccountingDefaults } from "./settings/accounting";
import { chosen, LABELS, SEED_SETTINGS, shown, valueLabel, type Settings } from "./settings/choices";
import { LeaveGuard } from "./settings/leave";
import { RadioGroup } from "./settings/radio";
import { CustomerAutoSyncReminder } from "./settings/reminder";
import "./settings.css";

interface Versioned {
  settings: Settings;
  etag: string | null;
}

async function readSettings(): Promise<Versioned> {
  const { data, response } = await answered(api.GET("/settings"));
  return { settings: data, etag: response.headers.get("ETag") };
}

const NAMES = Object.keys(LABELS) as (keyof Settings)[];
// The fields an error may name that this window shows beside a control.
const SHOWN = [...NAMES, "due_date_terms.days", "due_date_terms.rule"];

function differing(a: Settings, b: Settings): (keyof Settings)[] {
  return NAMES.filter((name) => JSON.stringify(a[name] ?? null) !== JSON.stringify(b[name] ?? null));
}

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

export function SettingsScreen(props: { route: Route }): JSX.Element {
  void props.route;
  const loaded = useLoad(readSettings, []);
  const [saved, setSaved] = useState<Versioned | undefined>(undefined);
  const [draft, setDraft] = useState<Settings | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [conflict, setConflict] = useState<Settings | null | undefined>(undefined);
  const [savedAt, setSavedAt] = useState<Date | undefined>(undefined);
  const [refused, setRefused] = useState(0); // counts refusals naming fields: focus the first
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const invalid = refused ? form.current?.querySelector<HTMLElement>('[aria-invalid="true"]') : null;
    if (!invalid) return;
    invalid.scrollIntoView({ block: "center" }); // its error below it clear of the save bar
    invalid.focus({ preventScroll: true });
  }, [refused]);

  useEffect(() => {
    // A (re)load replaces what is on screen: the first one, or Reload after a conflict.
    if (!loaded.data) return;
    setSaved(loaded.data);
    setDraft(loaded.data.settings);
    setError(undefined);
    setConflict(undefined);
  }, [loaded.data]);

  const changed = saved && draft ? differing(saved.settings, draft) : [];
  const dirty = changed.length > 0;

  if (!draft || !saved) {
    return (
      <Page title="Settings">
        {loaded.error ? <ErrorNotice error={loaded.error} /> : <Loading what="the settings" />}
      </Page>
    );
  }

  const change = (update: Partial<Settings>): void => {
    setDraft({ ...draft, ...update });
    setSavedAt(undefined);
  };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { data, response } = await answered(
        api.PUT("/settings", {
          params: { header: saved.etag ? { "if-match": saved.etag } : {} },
          body: draft,
        }),
      );
      setSaved({ settings: data, etag: response.headers.get("ETag") });
      setDraft(data);
      setConflict(undefined);
      setSavedAt(new Date());
    } catch (caught) {
      const failure = asApiError(caught);
      setError(failure);
      if (failure.fields.length && failure.status !== 412) setRefused((n) => n + 1);
      if (failure.status === 412) {
        // What the other save changed, so the user can tell whether theirs or ours should stay.
        try {
          setConflict((await readSettings()).settings);
        } catch {
          setConflict(null);
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const stale = error?.status === 412;
  const fieldError = stale ? undefined : error;
  const fieldsNamed = fieldError ? fieldError.fields.filter((f) => SHOWN.some((n) => f.field === n || f.field === `body.${n}`)) : [];
  const theirs = conflict ? differing(saved.settings, conflict) : [];

  return (
    <Page title="Settings">
      <p class="settings-intro">
        How marketplace orders become Xero invoices and credit notes. You can come back here any
        time from the gear menu.
      </p>
      <form ref={form} class="settings-form" onSubmit={(e) => void save(e)} noValidate>
        <section class="panel settings-panel" aria-labelledby="seed-settings">
          <h2 id="seed-settings">Synchronization</h2>
          {SEED_SETTINGS.map((setting) => (
            <RadioGroup
              key={setting.name}
              name={setting.name}
              label={setting.label}
              hint={setting.hint}
              value={shown(draft, setting.name)}
              choices={setting.choices}
              onChange={(value) => change(chosen(draft, setting.name, value))}
              error={fieldError?.problem(setting.name)}
            >
              {setting.name === "auto_sync" ? <CustomerAutoSyncReminder autoSync={draft.auto_sync} /> : null}
            </RadioGroup>
          ))}
        </section>
        <AccountingDefaults draft={draft} change={change} error={fieldError} />
        <div class="settings-actions">
          {stale ? (
            <Notice kind="warning">
              <p>
                <strong>Not saved: someone else saved the settings after you opened them.</strong>{" "}
                Your choices are still shown here. Reload to see the settings as they are now
                (your unsaved choices are then dropped), and make your changes again.
              </p>
              {theirs.length ? (
                <p>
                  The other save changed:{" "}
                  {theirs.map((name) => `${LABELS[name]} (now ${valueLabel(conflict as Settings, name)})`).join("; ")}.
                </p>
              ) : null}
              <button type="button" class="button" onClick={() => void loaded.reload()}>
                Reload settings
              </button>
            </Notice>
          ) : null}
          {fieldsNamed.length ? (
            <Notice kind="error">
              <p>
                <strong>Not saved.</strong> Correct the{" "}
                {fieldsNamed.length === 1 ? "field" : "fields"} marked in red:{" "}
                {fieldsNamed.map((f) => LABELS[f.field.replace(/^body\./, "").split(".")[0] as keyof Settings] ?? f.field).join(", ")}.
              </p>
            </Notice>
          ) : !stale ? (
            <ErrorNotice error={fieldError} shown={SHOWN} />
          ) : null}
          <div class="settings-buttons">
            <button type="submit" class="button button-primary" disabled={busy || stale}>
              {busy ? "Saving…" : "Save"}
            </button>
            <button
              type="button"
              class="button"
              disabled={busy || stale || !dirty}
              onClick={() => {
                setDraft(saved.settings);
                setError(undefined);
              }}
            >
              Discard changes
            </button>
            <p class="settings-state" role="status">
              {savedAt && !dirty
                ? `Saved at ${clock.format(savedAt)}.`
                : dirty
                  ? `Unsaved changes: ${changed.length}.`
                  : "No unsaved changes."}
            </p>
          </div>
        </div>
      </form>
      <LeaveGuard dirty={dirty} />
    </Page>
  );
}

