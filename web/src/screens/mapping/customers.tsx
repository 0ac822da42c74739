// The Customers tab: each marketplace customer beside its Xero contact and auto-sync switch;
// map to an existing contact (suggestions first), create one from the profile, unlink, import
// all (with its report), and auto-sync one by one or for the selected customers.

import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import { api, call, type Schemas } from "../../api";
import { useAction, useLoad } from "../../load";
import { navigate } from "../../router";
import { CheckboxField, Dialog, ErrorNotice, Loading, Notice, TextField } from "../../ui";
import { ImportReportPanel } from "./import_report";
import { lacking } from "./words";

type Row = Schemas["CustomerRow"];
type Contact = Schemas["Contact"];
type Report = Schemas["ImportReport"];

export function CustomersTab(props: { unmapped: boolean }): JSX.Element {
  const rows = useLoad(
    () => call(api.GET("/customers", { params: { query: { unmapped: props.unmapped } } })),
    [props.unmapped],
  );
  const contacts = useLoad(() => call(api.GET("/xero/contacts", {})), []);
  const [named, setNamed] = useState<Record<string, string>>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [said, setSaid] = useState<string | null>(null);
  // the report keeps the names as they were shown (a filter may hide its customers later)
  const [report, setReport] = useState<{ made: Report; names: Record<string, string> } | null>(null);
  const [mapping, setMapping] = useState<Row | null>(null);
  // Contacts made from a profile carry the customer's name (Xero's list is read through a cache).
  const [madeFor, setMadeFor] = useState<Set<string>>(new Set());

  const contactName = useMemo(() => {
    const names: Record<string, string> = {};
    for (const c of contacts.data ?? []) if (c.ContactID) names[c.ContactID] = c.Name;
    return { ...names, ...named };
  }, [contacts.data, named]);
  const customerName = useMemo(() => {
    const names: Record<string, string> = {};
    for (const row of rows.data ?? []) names[row.customer_id] = row.name;
    return names;
  }, [rows.data]);

  const done = async (message: string, contact?: { id: string; name: string }): Promise<void> => {
    if (contact) setNamed((before) => ({ ...before, [contact.id]: contact.name }));
    setSaid(message);
    await rows.reload();
  };

  const action = useAction(async (run: () => Promise<void>) => {
    setSaid(null);
    await run();
  });

  const importAll = (): Promise<void | undefined> =>
    action.run(async () => {
      setReport(null);
      const made = await call(api.POST("/customers/import", {}));
      setReport({ made, names: customerName });
      setMadeFor((before) => new Set([...before, ...made.created]));
      await rows.reload();
    });

  const create = (row: Row): Promise<void | undefined> =>
    action.run(async () => {
      const link = await call(
        api.POST("/customers/{customerId}/xero-contact", {
          params: { path: { customerId: row.customer_id } },
        }),
      );
      setMadeFor((before) => new Set([...before, link.customer_id]));
      await done(`A Xero contact was created for ${row.name} from its profile, and mapped.`);
    });

  const unlink = (row: Row): Promise<void | undefined> =>
    action.run(async () => {
      await call(
        api.DELETE("/customers/{customerId}/xero-contact", {
          params: { path: { customerId: row.customer_id } },
        }),
      );
      await done(`${row.name} is no longer mapped to a Xero contact.`);
    });

  const autoSync = (ids: string[], on: boolean): Promise<void | undefined> =>
    action.run(async () => {
      await call(api.PUT("/customers/auto-sync", { body: { customer_ids: ids, auto_sync: on } }));
      const who = ids.length === 1 ? (customerName[ids[0] ?? ""] ?? "1 customer") : `${ids.length} customers`;
      await done(`Auto-sync ${on ? "on" : "off"} for ${who}.`);
    });

  const shown = rows.data ?? [];
  const allSelected = shown.length > 0 && shown.every((row) => selected.has(row.customer_id));
  const chosen = shown.filter((row) => selected.has(row.customer_id)).map((row) => row.customer_id);
  const toggle = (id: string, on: boolean): void => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  return (
    <section aria-labelledby="customers-title">
      <h2 id="customers-title" class="mapping-sr">
        Customers
      </h2>
      <div class="mapping-bar">
        <CheckboxField
          label="Unmapped only"
          checked={props.unmapped}
          onChange={(on) => navigate("/mapping/customers", { unmapped: on ? "1" : undefined })}
        />
        <button type="button" class="button button-primary" disabled={action.busy} onClick={() => void importAll()}>
          Import all
        </button>
        <div class="bulk" role="group" aria-label="Selected customers">
          <span class="muted">{chosen.length} selected</span>
          <button
            type="button"
            class="button"
            disabled={!chosen.length || action.busy}
            onClick={() => void autoSync(chosen, true)}
          >
            Auto-sync on for selected
          </button>
          <button
            type="button"
            class="button"
            disabled={!chosen.length || action.busy}
            onClick={() => void autoSync(chosen, false)}
          >
            Auto-sync off for selected
          </button>
        </div>
      </div>
      <p class="hint">
        A customer's orders are synced by the schedule only when its auto-sync is on and automatic
        sync is on in the Settings window.
      </p>
      {said ? <Notice kind="success">{said}</Notice> : null}
      <ErrorNotice error={action.error} />
      {report ? (
        <ImportReportPanel
          report={report.made}
          names={{ ...report.names, ...customerName }}
          onChoose={(id) => {
            const row = shown.find((r) => r.customer_id === id);
            if (row) setMapping(row);
          }}
        />
      ) : null}
      {contacts.error ? (
        <Notice kind="warning">Xero contacts could not be read: {contacts.error.message}</Notice>
      ) : null}
      <ErrorNotice error={rows.error} />
      {rows.loading && !rows.data ? <Loading what="customers" /> : null}
      {rows.data && !shown.length ? (
        <p>{props.unmapped ? "Every customer is mapped." : "The marketplace has no customers for you yet."}</p>
      ) : null}
      {shown.length ? (
        <div class="table-wrap">
          <table class="mapping-table">
            <caption class="mapping-sr">Marketplace customers and their Xero contacts</caption>
            <thead>
              <tr>
                <th class="check">
                  <input
                    type="checkbox"
                    aria-label="Select all customers"
                    checked={allSelected}
                    onChange={(e) =>
                      setSelected(
                        (e.currentTarget as HTMLInputElement).checked
                          ? new Set(shown.map((row) => row.customer_id))
                          : new Set(),
                      )
                    }
                  />
                </th>
                <th scope="col">Customer</th>
                <th scope="col">Profile</th>
                <th scope="col">Xero contact</th>
                <th scope="col">Auto-sync</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.customer_id}>
                  <td class="check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${row.name}`}
                      checked={selected.has(row.customer_id)}
                      onChange={(e) => toggle(row.customer_id, (e.currentTarget as HTMLInputElement).checked)}
                    />
                  </td>
                  <td>
                    {row.name}
                    <span class="sub">
                      {row.customer_id}
                      {row.email ? ` · ${row.email}` : ""}
                    </span>
                  </td>
                  <td>
                    {row.complete ? (
                      <span class="status status-good">Complete</span>
                    ) : (
                      <span class="lacks">Lacks {lacking(row.missing)}</span>
                    )}
                  </td>
                  <td>
                    {row.xero_contact_id ? (
                      (contactName[row.xero_contact_id] ??
                      (madeFor.has(row.customer_id) ? (
                        row.name
                      ) : (
                        <span class="muted">Mapped (contact {row.xero_contact_id.slice(0, 8)}…)</span>
                      )))
                    ) : (
                      <span class="status status-warn">Not mapped</span>
                    )}
                  </td>
                  <td>
                    <label class="switch">
                      <input
                        type="checkbox"
                        role="switch"
                        checked={row.auto_sync}
                        disabled={action.busy}
                        aria-label={`Auto-sync for ${row.name}`}
                        onChange={(e) =>
                          void autoSync([row.customer_id], (e.currentTarget as HTMLInputElement).checked)
                        }
                      />
                      <span aria-hidden="true">{row.auto_sync ? "On" : "Off"}</span>
                    </label>
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      class="button"
                      aria-label={row.xero_contact_id ? `Change contact for ${row.name}` : `Map ${row.name} to a Xero contact`}
                      onClick={() => setMapping(row)}
                    >
                      {row.xero_contact_id ? "Change contact" : "Map"}
                    </button>
                    {!row.xero_contact_id && row.complete ? (
                      <button
                        type="button"
                        class="button"
                        disabled={action.busy}
                        aria-label={`Create in Xero for ${row.name}`}
                        onClick={() => void create(row)}
                      >
                        Create in Xero
                      </button>
                    ) : null}
                    {row.xero_contact_id ? (
                      <button
                        type="button"
                        class="button button-danger"
                        disabled={action.busy}
                        aria-label={`Unlink ${row.name}`}
                        onClick={() => void unlink(row)}
                      >
                        Unlink
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Dialog
        title={mapping ? `Map ${mapping.name} to a Xero contact` : "Map to a Xero contact"}
        open={mapping !== null}
        onClose={() => setMapping(null)}
      >
        {mapping ? (
          <ContactChooser
            row={mapping}
            onMapped={async (contact) => {
              setMapping(null);
              await done(`${mapping.name} is mapped to Xero contact ${contact.Name}.`, {
                id: contact.ContactID ?? "",
                name: contact.Name,
              });
            }}
            onCreate={
              mapping.complete && !mapping.xero_contact_id
                ? async () => {
                    const row = mapping;
                    setMapping(null);
                    await create(row);
                  }
                : undefined
            }
          />
        ) : null}
      </Dialog>
    </section>
  );
}

function describe(contact: Contact): string {
  return [contact.ContactNumber, contact.EmailAddress, contact.TaxNumber && `tax ${contact.TaxNumber}`]
    .filter(Boolean)
    .join(" · ");
}

/** Suggestions for one customer, a search of the organisation's contacts, and the choice. */
function ContactChooser(props: {
  row: Row;
  onMapped: (contact: Contact) => Promise<void>;
  onCreate?: (() => Promise<void>) | undefined;
}): JSX.Element {
  const { row } = props;
  const suggestions = useLoad(
    () =>
      call(
        api.GET("/customers/{customerId}/suggestions", {
          params: { path: { customerId: row.customer_id } },
        }),
      ),
    [row.customer_id],
  );
  const [term, setTerm] = useState("");
  const [found, setFound] = useState<Contact[] | null>(null);
  const search = useAction(async (text: string) => {
    setFound(await call(api.GET("/xero/contacts", { params: { query: text ? { search: text } : {} } })));
  });
  const map = useAction(async (contact: Contact) => {
    await call(
      api.PUT("/customers/{customerId}", {
        params: { path: { customerId: row.customer_id } },
        // the customer's switch as it is: this call sets it too
        body: { xero_contact_id: contact.ContactID ?? null, auto_sync: row.auto_sync },
      }),
    );
    await props.onMapped(contact);
  });
  const problem = map.error?.problem("xero_contact_id") ?? map.error?.problem("customerId");

  const list = (contacts: Contact[], label: string): JSX.Element => (
    <ul class="contact-list" aria-label={label}>
      {contacts.map((c) => (
        <li key={c.ContactID}>
          <span>
            <strong>{c.Name}</strong>
            {describe(c) ? <span class="sub muted">{describe(c)}</span> : null}
          </span>
          <button
            type="button"
            class="button"
            disabled={map.busy || !c.ContactID}
            aria-label={`Map to this contact: ${c.Name}`}
            onClick={() => void map.run(c)}
          >
            Map to this contact
          </button>
        </li>
      ))}
    </ul>
  );

  return (
    <div>
      {problem ? (
        <Notice kind="error">{problem}</Notice>
      ) : (
        <ErrorNotice error={map.error} shown={["xero_contact_id"]} />
      )}
      <h3>Suggested contacts</h3>
      <p class="hint">Xero contacts with the customer's number, tax number, email address or name.</p>
      <ErrorNotice error={suggestions.error} />
      {suggestions.loading ? <Loading what="suggestions" /> : null}
      {suggestions.data && !suggestions.data.length ? <p class="muted">No contact looks like this customer.</p> : null}
      {suggestions.data?.length ? list(suggestions.data, "Suggested contacts") : null}
      <h3>Find a contact</h3>
      <form
        class="search-row"
        onSubmit={(e) => {
          e.preventDefault();
          void search.run(term.trim());
        }}
      >
        <TextField
          label="Search Xero contacts"
          type="search"
          value={term}
          onInput={setTerm}
          hint="By name, contact number or email address."
        />
        <button type="submit" class="button" disabled={search.busy}>
          Search
        </button>
      </form>
      <ErrorNotice error={search.error} />
      {found && !found.length ? <p class="muted">No Xero contact matches.</p> : null}
      {found?.length ? list(found, "Contacts found") : null}
      {props.onCreate ? (
        <p>
          <button type="button" class="button" onClick={() => void props.onCreate?.()}>
            Create a new contact from the profile instead
          </button>
        </p>
      ) : !row.complete ? (
        <p class="hint">
          A new contact cannot be made from this profile: it lacks {lacking(row.missing)}.
        </p>
      ) : null}
    </div>
  );
}
