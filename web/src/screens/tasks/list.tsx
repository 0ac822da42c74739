// The task list: filters kept in the route's query (the dashboard links to #/tasks?status=failed),
// cursor pages, rows selected for a bulk action.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../../api";
import { useLoad } from "../../load";
import { href, navigate } from "../../router";
import { ErrorNotice, Loading, Money, Page, Pager, SelectField, Status, TextField, When, humanize } from "../../ui";
import { BulkPanel } from "./bulk";
import {
  CustomerName,
  type FilterName,
  filtersOf,
  type Filters,
  STATUS_OPTIONS,
  TYPE_OPTIONS,
  type Task,
  XeroLink,
  periodOf,
  useCustomers,
} from "./common";

const PAGE_SIZE = 25;
export function TaskList(props: { query: URLSearchParams }): JSX.Element {
  const filters = filtersOf(props.query);
  const key = JSON.stringify(filters);
  // The cursors of the pages after the first, for these filters only (a cursor is the list's
  // own, sealed to its filters: another filter's would be refused).
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] });
  const cursors = pages.key === key ? pages.cursors : [];
  const setCursors = (next: string[]): void => setPages({ key, cursors: next });
  const cursor = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [key]);
  const names = useCustomers();
  const customers = [...names.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const page = useLoad(
    () =>
      call(
        api.GET("/tasks", {
          params: {
            query: {
              status: (filters.status as Task["status"] | undefined) ?? undefined,
              type: (filters.type as Task["order_type"] | undefined) ?? undefined,
              customer_id: filters.customer_id,
              ...periodOf(filters),
              limit: PAGE_SIZE,
              cursor,
            },
          },
        }),
      ),
    [key, cursor],
  );
  const change = (name: FilterName, value: string): void =>
    navigate("/tasks", { ...filters, [name]: value || undefined });
  const items = page.data?.items ?? [];
  const allOnPage = items.length > 0 && items.every((t) => selected.has(t.order_id));
  const toggle = (id: string, on: boolean): void => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const periodError = page.error?.problem("from") ?? page.error?.problem("to");

  return (
    <Page title="Tasks">
      <p class="muted lead">One task per marketplace order on its way to Xero. Open a task to see its lines, sync it by hand, ignore or retry it.</p>
      <form class="filters panel" aria-label="Filter the tasks" onSubmit={(e) => e.preventDefault()}>
        <SelectField label="Status" value={filters.status ?? ""} options={STATUS_OPTIONS} onChange={(v) => change("status", v)} />
        <SelectField label="Type" value={filters.type ?? ""} options={TYPE_OPTIONS} onChange={(v) => change("type", v)} />
        <SelectField
          label="Customer"
          value={filters.customer_id ?? ""}
          options={[
            { value: "", label: "All customers" },
            ...customers.map(([id, name]) => ({ value: id, label: name })),
            ...(filters.customer_id && !names.has(filters.customer_id)
              ? [{ value: filters.customer_id, label: `Customer ${filters.customer_id}` }]
              : []),
          ]}
          onChange={(v) => change("customer_id", v)}
        />
        <TextField label="Created from" type="date" value={filters.from ?? ""} onInput={(v) => change("from", v)} error={page.error?.problem("from")} />
        <TextField label="Created to" type="date" value={filters.to ?? ""} onInput={(v) => change("to", v)} error={page.error?.problem("to")} />
        {Object.keys(filters).length ? (
          <a class="button button-quiet clear-filters" href={href("/tasks")}>
            Clear filters
          </a>
        ) : null}
      </form>
      {periodError ? null : <ErrorNotice error={page.error} shown={["from", "to"]} />}
      <BulkPanel
        filters={filters}
        selected={[...selected]}
        orderNumbers={new Map(items.map((t) => [t.order_id, t.order_number]))}
        onDone={() => {
          setSelected(new Set());
          void page.reload();
        }}
      />
      {page.loading && !page.data ? <Loading what="tasks" /> : null}
      {page.data ? (
        items.length === 0 ? (
          <p class="panel empty">No tasks {Object.keys(filters).length ? "match these filters" : "yet: “Check changes” on the dashboard looks for new orders"}.</p>
        ) : (
          <div class="table-wrap">
            <table class="tasks-table" aria-busy={page.loading}>
              <caption class="visually-hidden">Tasks, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every task on this page"
                      checked={allOnPage}
                      onChange={(e) => {
                        const on = (e.currentTarget as HTMLInputElement).checked;
                        const next = new Set(selected);
                        for (const t of items) {
                          if (on) next.add(t.order_id);
                          else next.delete(t.order_id);
                        }
                        setSelected(next);
                      }}
                    />
                  </th>
                  <th scope="col">Order</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Total</th>
                  <th scope="col">Ordered</th>
                  <th scope="col">In Xero</th>
                </tr>
              </thead>
              <tbody>
                {items.map((t) => (
                  <tr key={t.order_id} class={selected.has(t.order_id) ? "row-selected" : ""}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select order ${t.order_number}`}
                        checked={selected.has(t.order_id)}
                        onChange={(e) => toggle(t.order_id, (e.currentTarget as HTMLInputElement).checked)}
                      />
                    </td>
                    <th scope="row">
                      <a href={href(`/tasks/${encodeURIComponent(t.order_id)}`)}>{t.order_number}</a>
                    </th>
                    <td>
                      <CustomerName id={t.customer_id} names={names} />
                    </td>
                    <td>{humanize(t.order_type)}</td>
                    <td>
                      <Status value={t.status} />
                      {t.reason ? <div class="reason">{t.reason}</div> : null}
                    </td>
                    <td class="num">
                      <Money amount={t.order_total} currency={t.currency} />
                    </td>
                    <td>
                      <When value={t.ordered_at ?? t.created_at} />
                    </td>
                    <td>
                      {t.document ? <XeroLink doc={t.document} /> : null}
                      {t.credit_note ? (
                        <>
                          {t.document ? <br /> : null}
                          <XeroLink doc={t.credit_note} />
                        </>
                      ) : null}
                      {!t.document && !t.credit_note ? <span class="muted">—</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager
        label="Task pages"
        atFirst={cursors.length === 0}
        next={page.data?.next_cursor}
        onNext={(next) => setCursors([...cursors, next])}
        onFirst={() => setCursors([])}
      />
    </Page>
  );
}
