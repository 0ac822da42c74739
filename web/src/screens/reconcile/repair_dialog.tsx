// The repairs that need a word more from the reseller: a reason to ignore, the contact or item to
// map to, or a second "yes" before a document is made again in Xero.

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, call, type ApiError } from "../../api";
import { useLoad } from "../../load";
import { Dialog, ErrorNotice, Loading, SelectField, TextField } from "../../ui";
import { concerns, REPAIRS, type Difference, type Repair } from "./words";

/** An API failure not already shown beside one of the fields named (their message is it). */
export function Unplaced(props: { error: ApiError | undefined; shown: string[] }): JSX.Element | null {
  const { error, shown } = props;
  if (!error || shown.some((field) => error.problem(field) !== undefined)) return null;
  return <ErrorNotice error={error} shown={shown} />;
}

export interface RepairExtra {
  reason?: string;
  contact_id?: string;
  item_code?: string;
}

interface Props {
  difference: Difference;
  repair: Repair;
  busy: boolean;
  error: ApiError | undefined;
  onSubmit: (extra: RepairExtra) => void;
  onClose: () => void;
}

const TITLES: Partial<Record<Repair, string>> = {
  ignore: "Ignore this difference",
  remake: "Make the document again in Xero?",
  resync: "Sync the order again?",
};

export function RepairDialog(props: Props): JSX.Element {
  const { difference, repair } = props;
  const title =
    repair === "remap"
      ? difference.kind === "item_deleted"
        ? "Map the product to another item"
        : "Map the customer to another contact"
      : (TITLES[repair] ?? REPAIRS[repair].label);
  return (
    <Dialog title={title} open onClose={props.onClose}>
      <p class="drift-dialog-about">
        <strong>{concerns(difference)}</strong>: {difference.message}
      </p>
      {repair === "ignore" ? <IgnoreForm {...props} /> : null}
      {repair === "remake" || repair === "resync" ? <ConfirmForm {...props} /> : null}
      {repair === "remap" && difference.kind === "item_deleted" ? <ItemForm {...props} /> : null}
      {repair === "remap" && difference.kind !== "item_deleted" ? <ContactForm {...props} /> : null}
    </Dialog>
  );
}

function Buttons(props: { busy: boolean; label: string; onClose: () => void; danger?: boolean }): JSX.Element {
  return (
    <div class="drift-dialog-buttons">
      <button type="submit" class={`button ${props.danger ? "button-danger" : "button-primary"}`} disabled={props.busy}>
        {props.busy ? "Working…" : props.label}
      </button>
      <button type="button" class="button" onClick={props.onClose}>
        Cancel
      </button>
    </div>
  );
}

function IgnoreForm(props: Props): JSX.Element {
  const [reason, setReason] = useState("");
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ reason: reason.trim() || undefined });
      }}
    >
      <TextField
        label="Reason"
        value={reason}
        onInput={setReason}
        hint="Why the difference is acknowledged (the Action Log keeps it). It is not listed again."
        error={props.error?.problem("reason")}
      />
      <Unplaced error={props.error} shown={["reason"]} />
      <Buttons busy={props.busy} label="Ignore the difference" onClose={props.onClose} />
    </form>
  );
}

function ConfirmForm(props: Props): JSX.Element {
  const remake = props.repair === "remake";
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({});
      }}
    >
      <p>
        {remake
          ? "A new document is made in Xero for this order, with its current mapping and settings. The voided or deleted document stays as it is in Xero."
          : "The task goes back to new and is synced again: a document is made in Xero for this order."}
      </p>
      <ErrorNotice error={props.error} />
      <Buttons busy={props.busy} label={remake ? "Make it again in Xero" : "Sync it again"} onClose={props.onClose} danger />
    </form>
  );
}

function ContactForm(props: Props): JSX.Element {
  const { difference } = props;
  const [search, setSearch] = useState("");
  const [asked, setAsked] = useState("");
  const [chosen, setChosen] = useState("");
  const contacts = useLoad(
    () => call(api.GET("/xero/contacts", { params: { query: { search: asked || undefined } } })),
    [asked],
  );
  const suggested = difference.suggested_contact_id;
  const options = [
    {
      value: "",
      label: suggested ? "The contact it was merged into (suggested)" : "Choose a contact",
    },
    ...(contacts.data ?? [])
      .filter((c) => c.ContactID && c.ContactID !== difference.contact_id)
      .map((c) => ({ value: c.ContactID ?? "", label: c.ContactNumber ? `${c.Name} (${c.ContactNumber})` : c.Name })),
  ];
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ contact_id: chosen || undefined });
      }}
    >
      <div class="drift-search">
        <TextField label="Find a Xero contact" type="search" value={search} onInput={setSearch} />
        <button type="button" class="button" onClick={() => setAsked(search.trim())}>
          Search
        </button>
      </div>
      {contacts.loading ? <Loading what="Xero contacts" /> : null}
      <ErrorNotice error={contacts.error} />
      <SelectField
        label="Xero contact"
        value={chosen}
        options={options}
        onChange={setChosen}
        error={props.error?.problem("contact_id")}
      />
      <Unplaced error={props.error} shown={["contact_id"]} />
      <Buttons busy={props.busy} label="Map the customer" onClose={props.onClose} />
    </form>
  );
}

function ItemForm(props: Props): JSX.Element {
  const { difference } = props;
  const [chosen, setChosen] = useState("");
  const items = useLoad(() => call(api.GET("/xero/items")), []);
  const options = [
    { value: "", label: "Choose an item" },
    ...(items.data ?? [])
      .filter((i) => i.Code !== difference.item_code)
      .map((i) => ({ value: i.Code, label: i.Name ? `${i.Code} — ${i.Name}` : i.Code })),
  ];
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ item_code: chosen || undefined });
      }}
    >
      {items.loading ? <Loading what="Xero items" /> : null}
      <ErrorNotice error={items.error} />
      <SelectField
        label="Xero item"
        value={chosen}
        options={options}
        onChange={setChosen}
        error={props.error?.problem("item_code") ?? props.error?.problem("xero_item_code")}
      />
      <Unplaced error={props.error} shown={["item_code", "xero_item_code"]} />
      <Buttons busy={props.busy} label="Map the product" onClose={props.onClose} />
    </form>
  );
}
