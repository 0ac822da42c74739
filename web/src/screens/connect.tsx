// The Xero connection, as Xero's certification checkpoints ask: the organisation's name and live
// status, Connect and Disconnect in Xero's own button styles, the organisation picker when Xero
// grants several, the switch confirmation, and clear outcomes (connected, cancelled, no
// organisation, error, reconnect needed with its reason).

import type { JSX } from "preact";
import type { Route } from "../router";
import { useEffect, useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { useAction, useLoad } from "../load";
import { href } from "../router";
import { Dialog, ErrorNotice, Loading, Notice, Page, TextField, When } from "../ui";
import { awaitConsent, type PendingConsent, POPUP_NAME, startConsent } from "./connect/consent";
import { failed, type Outcome } from "./connect/outcome";
import { ReconnectReason } from "./connect/reason";
import { ConnectToXero, DisconnectFromXero } from "./connect/xero-buttons";
import "./connect.css";

type Connection = Schemas["ConnectionView"];
type Tenant = Schemas["XeroTenant"];

const STATUS: Record<Connection["status"], { label: string; kind: string }> = {
  connected: { label: "Connected", kind: "good" },
  not_connected: { label: "Not connected", kind: "quiet" },
  choose_tenant: { label: "Choose the organisation", kind: "warn" },
  reconnect_needed: { label: "Reconnect needed", kind: "bad" },
};

const LIVE_EVERY_MS = 60_000; // the status is read again while the screen is open

function OutcomeNotice(props: { outcome: Outcome | null }): JSX.Element | null {
  const { outcome } = props;
  if (!outcome) return null;
  return (
    <Notice kind={outcome.kind}>
      <p>
        <strong>{outcome.title}.</strong> {outcome.detail}
      </p>
    </Notice>
  );
}

function Picker(props: {
  connection: Connection;
  onChosen: (view: Connection) => void;
}): JSX.Element {
  const { connection } = props;
  const [chosen, setChosen] = useState<string>("");
  const [confirming, setConfirming] = useState<Tenant | null>(null);
  const choose = useAction(async (tenant: Tenant, confirm: boolean) =>
    call(
      api.PUT("/xero/connection/tenant", {
        body: { tenant_id: tenant.tenant_id, confirm_switch: confirm },
      }),
    ),
  );
  const from = connection.switch_from ?? null;
  const submit = async (tenant: Tenant, confirm: boolean): Promise<void> => {
    const view = await choose.run(tenant, confirm);
    if (view) {
      setConfirming(null);
      props.onChosen(view);
    }
  };
  const onSubmit = (event: Event): void => {
    event.preventDefault();
    const tenant = connection.organisations_to_choose.find((t) => t.tenant_id === chosen);
    if (!tenant) return;
    if (from && from.tenant_id !== tenant.tenant_id) setConfirming(tenant);
    else void submit(tenant, false);
  };
  // The API refuses a switch it was not told to confirm (409): ask then.
  useEffect(() => {
    if (choose.error?.status === 409) {
      const tenant = connection.organisations_to_choose.find((t) => t.tenant_id === chosen);
      if (tenant) setConfirming(tenant);
    }
  }, [choose.error]);
  const pickError = choose.error?.problem("tenant_id");
  return (
    <section class="panel" aria-labelledby="picker-title">
      <h2 id="picker-title">Choose the Xero organisation to sync</h2>
      {from ? (
        <Notice kind="warning">
          <p>
            Your customer links and product mappings belong to <strong>{from.name}</strong>. Choose{" "}
            {from.name} to carry on as before; choosing another organisation sets them aside.
          </p>
        </Notice>
      ) : (
        <p>Xero granted access to more than one organisation. Orders sync to one of them.</p>
      )}
      <form onSubmit={onSubmit}>
        <fieldset class="picker" aria-describedby={pickError ? "picker-error" : undefined}>
          <legend>Organisations Xero granted</legend>
          {connection.organisations_to_choose.map((tenant) => (
            <label key={tenant.tenant_id} class="picker-option">
              <input
                type="radio"
                name="tenant"
                value={tenant.tenant_id}
                checked={chosen === tenant.tenant_id}
                onChange={() => setChosen(tenant.tenant_id)}
              />
              <span>{tenant.name}</span>
              {from?.tenant_id === tenant.tenant_id ? (
                <span class="status status-info">Your links and mappings</span>
              ) : null}
            </label>
          ))}
          {pickError ? (
            <p class="field-error" id="picker-error">
              {pickError}
            </p>
          ) : null}
        </fieldset>
        <button type="submit" class="button button-primary" disabled={!chosen || choose.busy}>
          Sync to this organisation
        </button>
      </form>
      {choose.error && choose.error.status !== 409 && !pickError ? <ErrorNotice error={choose.error} /> : null}
      <Dialog
        title={`Switch to ${confirming?.name ?? "another organisation"}?`}
        open={confirming !== null}
        onClose={() => {
          setConfirming(null);
          choose.clear();
        }}
      >
        <p>
          Your customer links and product mappings were made in <strong>{from?.name}</strong>.
          Switching to <strong>{confirming?.name}</strong> sets them aside: map customers and
          products again in {confirming?.name}, and check the account code and tax type settings.
          Nothing syncs until then.
        </p>
        <div class="dialog-actions">
          <button
            type="button"
            class="button button-danger"
            disabled={choose.busy}
            onClick={() => confirming && void submit(confirming, true)}
          >
            Switch and set them aside
          </button>
          <button
            type="button"
            class="button"
            onClick={() => {
              setConfirming(null);
              choose.clear();
            }}
          >
            Keep {from?.name ?? "the current organisation"}
          </button>
        </div>
        {choose.error && choose.error.status !== 409 ? <ErrorNotice error={choose.error} /> : null}
      </Dialog>
    </section>
  );
}

function Summary(props: { connection: Connection }): JSX.Element {
  const { connection } = props;
  const status = STATUS[connection.status];
  return (
    <dl class="connection-facts">
      <div>
        <dt>Xero organisation</dt>
        <dd class="connection-org">{connection.organisation_name ?? <span class="muted">None</span>}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <span class={`status status-${status.kind}`} data-status={connection.status}>
            {status.label}
          </span>
        </dd>
      </div>
      {connection.connected_since ? (
        <div>
          <dt>Connected since</dt>
          <dd>
            <When value={connection.connected_since} />
          </dd>
        </div>
      ) : null}
      {connection.scopes.length ? (
        <div>
          <dt>Access granted</dt>
          <dd class="connection-scopes">{connection.scopes.map(scopeWords).join(" · ")}</dd>
        </div>
      ) : null}
    </dl>
  );
}


/** What each access Xero granted lets the integration do, in a finance person's words (the
 * OAuth scope itself for one this list does not know). */
const SCOPE_WORDS: Record<string, string> = {
  offline_access: "Sync while you are away",
  "accounting.invoices": "Invoices and credit notes",
  "accounting.payments": "Payments",
  "accounting.contacts": "Contacts",
  "accounting.settings": "Accounts, tax rates and items",
};

function scopeWords(scope: string): string {
  return SCOPE_WORDS[scope] ?? scope;
}

export function ConnectScreen(props: { route: Route }): JSX.Element {
  void props.route;
  // Live: Xero itself is asked whether the organisation is still connected (Connected Apps).
  const loaded = useLoad(() => call(api.GET("/xero/connection", { params: { query: { live: true } } })), []);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [pending, setPending] = useState<PendingConsent | null>(null);
  const [historyFrom, setHistoryFrom] = useState("");
  const [disconnecting, setDisconnecting] = useState(false);
  const [checkedAt, setCheckedAt] = useState<string | null>(null);

  useEffect(() => {
    if (loaded.data) setCheckedAt(new Date().toISOString());
  }, [loaded.data]);
  useEffect(() => {
    const every = window.setInterval(() => {
      if (!document.hidden) void loaded.reload(); // no calls to Xero for a tab nobody sees
    }, LIVE_EVERY_MS);
    return () => window.clearInterval(every);
  }, [loaded.reload]);

  const connect = useAction(async () => {
    setOutcome(null);
    setPending(await startConsent(historyFrom));
  });
  const complete = useAction(async (flow: string, verifier: string) =>
    call(api.POST("/xero/connection/complete", { body: { flow, verifier } })),
  );
  const disconnect = useAction(async () => {
    await call(api.DELETE("/xero/connection"));
    setDisconnecting(false);
    setOutcome({
      kind: "info",
      title: "Disconnected from Xero",
      detail:
        "The connection was removed at Xero and its access revoked. Your settings, customer links and product mappings are kept for when you connect again.",
    });
    await loaded.reload();
  });

  useEffect(() => {
    if (!pending) return undefined;
    return awaitConsent(pending, (result) => {
      setPending(null);
      if (result === "closed") {
        setOutcome(failed("closed"));
        return;
      }
      if (result.xero !== "pending" || !result.flow) {
        setOutcome(failed(result.reason));
        void loaded.reload();
        return;
      }
      void complete.run(result.flow, pending.verifier).then(async (view) => {
        await loaded.reload(); // the status shown and the outcome told agree
        if (view) setOutcome(afterConsent(view));
      });
    });
  }, [pending]);

  const connection = loaded.data;
  const waiting = pending !== null || complete.busy;
  const canConnect = connection && connection.status !== "connected" && connection.status !== "choose_tenant";
  return (
    <Page title="Xero connection">
      <OutcomeNotice outcome={outcome} />
      {complete.error ? (
        <Notice kind="error">
          <p>
            <strong>Connecting did not finish.</strong> Xero answered, but the connection could not
            be completed ({complete.error.message}). Nothing was connected
            {complete.error.problem("flow") ? ", and the consent was revoked at Xero" : ""}: start
            again with Connect to Xero.
          </p>
        </Notice>
      ) : null}
      {pending && !pending.popup ? (
        <Notice kind="warning">
          <p>
            Your browser blocked the Xero window. Allow pop-ups for this app, or{" "}
            <a href={pending.authorizationUrl} target={POPUP_NAME} rel="opener">
              open Xero's consent page
            </a>{" "}
            to continue.
          </p>
        </Notice>
      ) : null}
      {!connection && loaded.loading ? <Loading what="the Xero connection" /> : null}
      <ErrorNotice error={loaded.error} />
      {connection ? (
        <>
          <section class="panel connection" aria-labelledby="connection-title">
            <h2 id="connection-title">Connection</h2>
            <Summary connection={connection} />
            <p class="muted connection-checked" aria-live="polite">
              Checked with Xero <When value={checkedAt} />.{" "}
              <button type="button" class="button button-quiet link-button" onClick={() => void loaded.reload()}>
                Check again
              </button>
            </p>
            {connection.status === "reconnect_needed" ? <ReconnectReason /> : null}
            {connection.status === "not_connected" ? (
              <p>
                Connect the Xero organisation your marketplace orders should go to. Xero asks you to
                sign in and allow access in a new window.
              </p>
            ) : null}
            {canConnect ? (
              <TextField
                label="Bring in orders from (optional)"
                type="date"
                value={historyFrom}
                onInput={setHistoryFrom}
                hint="Orders placed from this day on become tasks once connected, at most two years back. Leave empty for the last month, or a start you chose before."
                error={connect.error?.problem("history_from")}
                class="history-field"
              />
            ) : null}
            <div class="connection-actions">
              {canConnect ? (
                <ConnectToXero onClick={() => void connect.run()} busy={waiting || connect.busy} />
              ) : null}
              {connection.status !== "not_connected" ? (
                <DisconnectFromXero onClick={() => setDisconnecting(true)} busy={disconnect.busy} />
              ) : null}
              {waiting ? (
                <button type="button" class="button" onClick={() => setPending(null)}>
                  Stop waiting
                </button>
              ) : null}
            </div>
            <ErrorNotice error={connect.error} shown={["history_from"]} />
          </section>
          {connection.status === "choose_tenant" ? (
            <Picker
              connection={connection}
              onChosen={(view) => void loaded.reload().then(() => setOutcome(afterConsent(view)))}
            />
          ) : null}
        </>
      ) : null}
      <Dialog title="Disconnect from Xero?" open={disconnecting} onClose={() => setDisconnecting(false)}>
        <p>
          Syncing to <strong>{connection?.organisation_name ?? "Xero"}</strong> stops. The
          connection is removed at Xero and its access revoked. Your settings, customer links and
          product mappings are kept for when you connect again.
        </p>
        <div class="dialog-actions">
          <button type="button" class="button button-danger" disabled={disconnect.busy} onClick={() => void disconnect.run()}>
            Disconnect
          </button>
          <button type="button" class="button" onClick={() => setDisconnecting(false)}>
            Keep the connection
          </button>
        </div>
        <ErrorNotice error={disconnect.error} />
      </Dialog>
    </Page>
  );
}

/** What a finished consent led to: connected, or a choice still to make. */
function afterConsent(view: Connection): Outcome {
  if (view.status === "connected") {
    return {
      kind: "success",
      title: `Connected to ${view.organisation_name ?? "Xero"}`,
      detail: "Orders now sync to this organisation.",
    };
  }
  const from = view.switch_from;
  if (from && !view.organisations_to_choose.some((t) => t.tenant_id === from.tenant_id)) {
    return {
      kind: "warning",
      title: "Confirm the organisation",
      detail: `Xero granted another organisation than ${from.name}, which your links and mappings belong to. Confirm the switch below, or connect again and choose ${from.name}.`,
    };
  }
  return {
    kind: "info",
    title: `Xero granted ${view.organisations_to_choose.length} organisations`,
    detail: "Choose the one to sync below.",
  };
}
