// The accounting defaults: picked from the connected Xero organisation's own lists (revenue
// accounts, tax rates for revenue, bank accounts), or a clear word when Xero is not connected.

import type { JSX } from "preact";
import { api, call, type ApiError, type Schemas } from "../../api";
import { useLoad } from "../../load";
import { href } from "../../router";
import { CheckboxField, ErrorNotice, Loading, Notice, SelectField, TextField, type Option } from "../../ui";
import { DUE_DATE_RULES, LABELS, LINE_AMOUNT_TYPES, NEW_INVOICE_STATUS, type Settings } from "./choices";

interface XeroLists {
  revenue: Schemas["Account"][];
  bank: Schemas["Account"][];
  taxes: Schemas["TaxRate"][];
}

async function xeroLists(): Promise<XeroLists> {
  const [revenue, bank, taxes] = await Promise.all([
    call(api.GET("/xero/accounts", { params: { query: { purpose: "revenue" } } })),
    call(api.GET("/xero/accounts", { params: { query: { purpose: "bank" } } })),
    call(api.GET("/xero/tax-rates", { params: { query: { purpose: "revenue" } } })),
  ]);
  return { revenue, bank, taxes };
}

const UNAVAILABLE = new Set(["not_connected", "reconnect_needed"]);

function accountOptions(accounts: Schemas["Account"][], current: string | null | undefined, none: string): Option[] {
  const options = [{ value: "", label: none }];
  for (const account of accounts) {
    if (account.Code) options.push({ value: account.Code, label: `${account.Code} — ${account.Name}` });
  }
  if (current && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: `${current} (not among Xero's active accounts)` });
  }
  return options;
}

function taxOptions(rates: Schemas["TaxRate"][], current: string | null | undefined): Option[] {
  const options = [{ value: "", label: "Xero decides (the account's rate)" }];
  for (const rate of rates) {
    if (!rate.TaxType) continue;
    const percent = rate.EffectiveRate === null || rate.EffectiveRate === undefined ? "" : ` (${rate.EffectiveRate}%)`;
    options.push({ value: rate.TaxType, label: `${rate.Name}${percent}` });
  }
  if (current && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: `${current} (not among Xero's revenue tax rates)` });
  }
  return options;
}

export function AccountingDefaults(props: {
  draft: Settings;
  change: (update: Partial<Settings>) => void;
  error: ApiError | undefined;
}): JSX.Element {
  const { draft, change, error } = props;
  const lists = useLoad(xeroLists, []);
  const problem = (field: string): string | undefined => error?.problem(field);
  const offline = lists.error !== undefined && UNAVAILABLE.has(lists.error.code);
  const ready = lists.data !== undefined;
  const terms = draft.due_date_terms ?? { rule: "DAYSAFTERBILLDATE", days: 14 };
  return (
    <section class="panel settings-panel" aria-labelledby="accounting-defaults">
      <h2 id="accounting-defaults">Accounting defaults</h2>
      <p class="hint">
        Used for every Xero invoice this integration makes, unless a product mapping or its Xero
        item names its own account or tax rate.
      </p>
      {lists.loading && !ready ? <Loading what="Xero's accounts and tax rates" /> : null}
      {offline ? (
        <Notice kind="warning">
          <p>
            {lists.error?.code === "reconnect_needed"
              ? "The Xero connection needs to be renewed, so Xero's accounts and tax rates cannot be listed."
              : "Xero is not connected, so its accounts and tax rates cannot be listed."}{" "}
            <a href={href("/connection")}>Connect Xero</a> to choose the sales account, tax rate and
            bank account. The other settings can be saved now.
          </p>
        </Notice>
      ) : (
        <ErrorNotice error={lists.error} />
      )}
      <div class="settings-grid">
        <SelectField
          label={LABELS.sales_account_code}
          hint="The revenue account for lines whose product mapping and Xero item name none. Not chosen: account 200 while it is an active revenue account, else the task waits for a choice."
          value={draft.sales_account_code ?? ""}
          disabled={!ready}
          options={accountOptions(lists.data?.revenue ?? [], draft.sales_account_code, "Not chosen (account 200)")}
          onChange={(value) => change({ sales_account_code: value || null })}
          error={problem("sales_account_code")}
        />
        <SelectField
          label={LABELS.tax_type}
          hint="The tax rate for lines whose product mapping and Xero item name none."
          value={draft.tax_type ?? ""}
          disabled={!ready}
          options={taxOptions(lists.data?.taxes ?? [], draft.tax_type)}
          onChange={(value) => change({ tax_type: value || null })}
          error={problem("tax_type")}
        />
        <SelectField
          label={LABELS.line_amount_types}
          hint="Whether the prices sent to Xero include tax."
          value={draft.line_amount_types}
          options={LINE_AMOUNT_TYPES}
          onChange={(value) => change({ line_amount_types: value as Settings["line_amount_types"] })}
          error={problem("line_amount_types")}
        />
        <SelectField
          label={LABELS.new_invoice_status}
          hint="Drafts can still be edited in Xero; approved invoices are awaiting payment."
          value={draft.new_invoice_status}
          options={NEW_INVOICE_STATUS}
          onChange={(value) => change({ new_invoice_status: value as Settings["new_invoice_status"] })}
          error={problem("new_invoice_status")}
        />
      </div>
      <fieldset class="setting due-date">
        <legend>{LABELS.due_date_terms}</legend>
        <p class="hint">When new invoices fall due.</p>
        <div class="due-date-row">
          <TextField
            label={terms.rule === "OFFOLLOWINGMONTH" ? "Day" : "Days"}
            type="number"
            value={Number.isNaN(terms.days) ? "" : String(terms.days)}
            onInput={(value) => change({ due_date_terms: { ...terms, days: value === "" ? Number.NaN : Number(value) } })}
            error={problem("due_date_terms.days")}
            class="due-days"
          />
          <SelectField
            label="Counted"
            value={terms.rule}
            options={DUE_DATE_RULES}
            onChange={(value) => change({ due_date_terms: { ...terms, rule: value as typeof terms.rule } })}
            error={problem("due_date_terms.rule") ?? problem("due_date_terms")}
          />
        </div>
      </fieldset>
      <h3>Payments</h3>
      <CheckboxField
        label={LABELS.push_payments}
        hint="Payments made in the marketplace become Xero payments against the synced invoices."
        checked={draft.push_payments}
        onChange={(checked) => change({ push_payments: checked })}
        error={problem("push_payments")}
      />
      <SelectField
        label={LABELS.payments_account_code}
        hint="One of the organisation's active bank accounts; needed while payments are recorded."
        value={draft.payments_account_code ?? ""}
        disabled={!ready}
        options={accountOptions(lists.data?.bank ?? [], draft.payments_account_code, "None chosen")}
        onChange={(value) => change({ payments_account_code: value || null })}
        error={problem("payments_account_code")}
        class="narrow"
      />
    </section>
  );
}
