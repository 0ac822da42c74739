// The Products tab: each marketplace product beside its Xero item; map it to an existing item,
// make the item in Xero from the product (its code and name fitted to Xero's lengths, said so),
// or unmap it. The API's refusal (the many-to-one rule, an unknown item) shows by the field.

import type { JSX } from "preact";
import { useId, useState } from "preact/hooks";
import { api, call, type Schemas } from "../../api";
import { useAction, useLoad } from "../../load";
import { navigate } from "../../router";
import { CheckboxField, ErrorNotice, Loading, Notice } from "../../ui";

type Row = Schemas["ProductRow"];
type Item = Schemas["Item"];

export function itemLabel(item: Item): string {
  return item.Name && item.Name !== item.Code ? `${item.Code} — ${item.Name}` : item.Code;
}

/** The mapping's own choices, in words ("Account 210 · Tax type OUTPUT · Region: North"). */
function choices(row: Row): string {
  return [
    row.account_code ? `Account ${row.account_code}` : "",
    row.tax_type ? `Tax type ${row.tax_type}` : "",
    ...row.tracking.map((t) => `${t.name}: ${t.option}`),
  ]
    .filter(Boolean)
    .join(" · ");
}

export function ProductsTab(props: { unmapped: boolean }): JSX.Element {
  const rows = useLoad(
    () => call(api.GET("/products", { params: { query: { unmapped: props.unmapped } } })),
    [props.unmapped],
  );
  const items = useLoad(() => call(api.GET("/xero/items", {})), []);
  const [said, setSaid] = useState<string | null>(null);
  const changed = async (message: string, itemMade = false): Promise<void> => {
    setSaid(message);
    // an item just made in Xero joins the list (its name shown, and other products may take it)
    await Promise.all([rows.reload(), itemMade ? items.reload() : Promise.resolve()]);
  };
  const shown = rows.data ?? [];
  return (
    <section aria-labelledby="products-title">
      <h2 id="products-title" class="mapping-sr">
        Products
      </h2>
      <div class="mapping-bar">
        <CheckboxField
          label="Unmapped only"
          checked={props.unmapped}
          onChange={(on) => navigate("/mapping/products", { unmapped: on ? "1" : undefined })}
        />
      </div>
      {said ? <Notice kind="success">{said}</Notice> : null}
      {items.error ? <Notice kind="warning">Xero items could not be read: {items.error.message}</Notice> : null}
      <ErrorNotice error={rows.error} />
      {rows.loading && !rows.data ? <Loading what="products" /> : null}
      {rows.data && !shown.length ? (
        <p>{props.unmapped ? "Every product is mapped." : "The marketplace has no products yet."}</p>
      ) : null}
      {shown.length ? (
        <div class="table-wrap">
          <table class="mapping-table">
            <caption class="mapping-sr">Marketplace products and their Xero items</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Xero item</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <ProductLine key={row.mpn} row={row} items={items.data ?? []} onChanged={changed} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function ProductLine(props: {
  row: Row;
  items: Item[];
  onChanged: (said: string, itemMade?: boolean) => Promise<void>;
}): JSX.Element {
  const { row } = props;
  const id = useId();
  const [code, setCode] = useState(row.xero_item_code ?? "");
  const path = { params: { path: { mpn: row.mpn } } };
  const map = useAction(async () => {
    // the mapping's own account, tax type and tracking are kept (this call sets them too)
    const kept = { account_code: row.account_code ?? null, tax_type: row.tax_type ?? null, tracking: row.tracking };
    const mapped = await call(api.PUT("/products/{mpn}", { ...path, body: { xero_item_code: code, ...kept } }));
    await props.onChanged(`${row.name} is mapped to Xero item ${mapped.xero_item_code}.`);
  });
  const create = useAction(async () => {
    const made = await call(api.POST("/products/{mpn}/xero-item", path));
    const code = made.mapping.xero_item_code;
    setCode(code);
    const fitted = [
      made.code_shortened ? `its code to “${code}” (Xero takes 30 characters)` : "",
      made.name_shortened ? `its name to “${made.item_name}” (Xero takes 50)` : "",
    ].filter(Boolean);
    await props.onChanged(
      `Made Xero item ${code} and mapped ${row.name} to it.` +
        (fitted.length ? ` Shortened ${fitted.join(" and ")}.` : ""),
      true,
    );
  });
  const unmap = useAction(async () => {
    await call(api.DELETE("/products/{mpn}", path));
    setCode("");
    await props.onChanged(`${row.name} is no longer mapped to a Xero item.`);
  });
  const failed = map.error ?? create.error ?? unmap.error;
  const problem = failed ? (failed.problem("xero_item_code") ?? failed.message) : undefined;
  const busy = map.busy || create.busy || unmap.busy;
  const known = props.items.some((item) => item.Code === code);
  const options = [
    ...(code && !known ? [{ Code: code, Name: null } as Item] : []),
    ...props.items,
  ];
  return (
    <tr>
      <td>
        {row.name}
        <span class="sub">{row.mpn}</span>
      </td>
      <td>
        <div class="item-pick">
          <select
            id={id}
            aria-label={`Xero item for ${row.name}`}
            value={code}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-error` : undefined}
            onChange={(e) => {
              map.clear();
              setCode((e.currentTarget as HTMLSelectElement).value);
            }}
          >
            <option value="">— Not mapped —</option>
            {options.map((item) => (
              <option key={item.Code} value={item.Code}>
                {itemLabel(item)}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="button button-primary"
            disabled={busy || !code || code === row.xero_item_code}
            aria-label={`Map ${row.name}`}
            onClick={() => void map.run()}
          >
            Map
          </button>
        </div>
        {choices(row) ? <span class="sub">{choices(row)}</span> : null}
        {problem ? (
          <p class="field-error" id={`${id}-error`}>
            {problem}
          </p>
        ) : null}
      </td>
      <td class="actions">
        {!row.xero_item_code ? (
          <button
            type="button"
            class="button"
            disabled={busy}
            aria-label={`Create item in Xero for ${row.name}`}
            onClick={() => void create.run()}
          >
            Create item in Xero
          </button>
        ) : (
          <button
            type="button"
            class="button button-danger"
            disabled={busy}
            aria-label={`Unmap ${row.name}`}
            onClick={() => void unmap.run()}
          >
            Unmap
          </button>
        )}
      </td>
    </tr>
  );
}
