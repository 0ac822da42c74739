// The Action Log: what the integration did and what needs the reseller, filtered by period,
// status, action and customer (kept in the route's query, so a filtered view can be linked),
// in cursor pages; #/action-log/<entryId> opens one entry.

import type { JSX } from "preact";
import { api, call } from "../api";
import { useLoad } from "../load";
import type { Route } from "../router";
import { href, navigate } from "../router";
import { ErrorNotice, Loading, Page, Pager, SelectField, Status, TextField, When } from "../ui";
import "./action_log.css";
import { EntryDetail } from "./action_log/detail";
import type { Entry, LogStatus } from "./action_log/words";
import { ACTIONS, STATUSES, actionLabel, actorLabel, entryId } from "./action_log/words";

const FILTERS = ["from", "to", "status", "action", "customer"] as const;
type FilterName = (typeof FILTERS)[number];
// The API's names for the filters shown beside their fields (a refusal of one shows there).
const BESIDE = new Set(["from", "to", "status", "action", "customer_id"]);

/** A day picked in the reseller's own time zone, as the API's date-time (UTC). */
function dayStart(day: string, next = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const [, y, m, d] = match;
  const moment = new Date(Number(y), Number(m) - 1, Number(d) + next);
  return Number.isNaN(moment.getTime()) ? undefined : moment.toISOString();
}

/** The end of the day picked: the last millisecond before the next day starts. */
function dayEnd(day: string): string | undefined {
  const next = dayStart(day, 1);
  return next ? new Date(new Date(next).getTime() - 1).toISOString() : undefined;
}

function isStatus(value: string | null): value is LogStatus {
  return STATUSES.some((s) => s.value === value);
}

function LogList(props: { route: Route }): JSX.Element {
  const query = props.route.query;
  const value = (name: FilterName): string => query.get(name) ?? "";
  const cursor = query.get("cursor") ?? undefined;
  const status = query.get("status");

  const customers = useLoad(() => call(api.GET("/customers")), []);
  const page = useLoad(
    () =>
      call(
        api.GET("/action-log", {
          params: {
            query: {
              status: isStatus(status) ? status : undefined,
              action: value("action") || undefined,
              customer_id: value("customer") || undefined,
              from: value("from") ? (dayStart(value("from")) ?? value("from")) : undefined,
              to: value("to") ? (dayEnd(value("to")) ?? value("to")) : undefined,
              cursor,
              limit: 25,
            },
          },
        }),
      ),
    [query.toString()],
  );

  const go = (changes: Partial<Record<FilterName | "cursor", string | undefined>>): void => {
    const next: Record<string, string | undefined> = {};
    for (const name of FILTERS) next[name] = value(name) || undefined;
    Object.assign(next, { cursor: undefined }, changes); // a new filter starts at the first page
    navigate("/action-log", next);
  };

  const names = new Map((customers.data ?? []).map((c) => [c.customer_id, c.name]));
  const customerOptions = [
    { value: "", label: "Any customer" },
    ...(customers.data ?? []).map((c) => ({ value: c.customer_id, label: `${c.name} (${c.customer_id})` })),
  ];
  if (value("customer") && !names.has(value("customer"))) {
    customerOptions.push({ value: value("customer"), label: value("customer") });
  }
  const actionOptions = [{ value: "", label: "Any action" }, ...ACTIONS];
  if (value("action") && !ACTIONS.some((a) => a.value === value("action"))) {
    actionOptions.push({ value: value("action"), label: actionLabel(value("action")) });
  }
  const error = page.error;
  const filtered = FILTERS.some((name) => value(name));
  const items: Entry[] = page.data?.items ?? [];

  return (
    <Page title="Action Log">
      <p class="muted log-intro">
        Everything the integration did for you, newest first. Pop-up notifications show the
        entries your notifications setting picks; every entry stays here.
      </p>
      <form
        class="filters panel log-filters"
        aria-label="Filter the Action Log"
        onSubmit={(e) => e.preventDefault()}
      >
        <TextField
          label="From"
          type="date"
          value={value("from")}
          max={value("to") || undefined}
          onInput={(v) => go({ from: v || undefined })}
          error={error?.problem("from")}
        />
        <TextField
          label="To"
          type="date"
          value={value("to")}
          min={value("from") || undefined}
          onInput={(v) => go({ to: v || undefined })}
          error={error?.problem("to")}
        />
        <SelectField
          label="Status"
          value={isStatus(status) ? status : ""}
          options={[{ value: "", label: "Any status" }, ...STATUSES]}
          onChange={(v) => go({ status: v || undefined })}
          error={error?.problem("status")}
        />
        <SelectField
          label="Action"
          value={value("action")}
          options={actionOptions}
          onChange={(v) => go({ action: v || undefined })}
          error={error?.problem("action")}
        />
        <SelectField
          label="Customer"
          value={value("customer")}
          options={customerOptions}
          onChange={(v) => go({ customer: v || undefined })}
          error={error?.problem("customer_id")}
          hint={customers.error ? "The customer list could not be loaded." : undefined}
        />
        {filtered ? (
          <div class="field log-clear">
            <a class="button" href={href("/action-log")}>
              Clear filters
            </a>
          </div>
        ) : null}
      </form>
      {error && !(error.fields.length && error.fields.every((f) => BESIDE.has(f.field))) ? (
        <ErrorNotice error={error} shown={[...BESIDE]} />
      ) : null}
      {page.loading && !page.data ? <Loading what="the Action Log" /> : null}
      {page.data && !error ? (
        items.length ? (
          <div class={`table-wrap ${page.loading ? "log-loading" : ""}`} aria-busy={page.loading}>
            <table class="log-table">
              <caption class="log-sr">
                Action Log entries{filtered ? " (filtered)" : ""}
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action</th>
                  <th scope="col">What happened</th>
                  <th scope="col">Customer</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <tr key={entryId(entry)} class={entry.read ? "" : "log-unread"}>
                    <td class="log-when">
                      <When value={entry.at} />
                    </td>
                    <td>
                      <Status value={entry.status} />
                    </td>
                    <td>{actionLabel(entry.action)}</td>
                    <td>
                      <a href={href(`/action-log/${encodeURIComponent(entryId(entry))}`)}>{entry.message}</a>
                    </td>
                    <td>
                      {entry.customer_id ? (
                        (names.get(entry.customer_id) ?? entry.customer_id)
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td class="log-actor">{actorLabel(entry.actor)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="panel">
            {cursor
              ? "No more entries: this is the end of the Action Log."
              : filtered
                ? "No entries match these filters."
                : "Nothing has been recorded yet."}
          </p>
        )
      ) : null}
      <Pager
        label="Action Log pages"
        next={error ? undefined : page.data?.next_cursor}
        atFirst={!cursor}
        onNext={(next) => go({ cursor: next })}
        onFirst={() => go({})}
      />
    </Page>
  );
}

export function ActionLogScreen(props: { route: Route }): JSX.Element {
  const id = props.route.parts[1];
  return id ? <EntryDetail entryId={id} /> : <LogList route={props.route} />;
}
