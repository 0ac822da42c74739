// The planned lines of a task, as syncing would send them to Xero.

import type { JSX } from "preact";
import type { Schemas } from "../../api";
import { Money } from "../../ui";
import { amount } from "./common";

type Line = Schemas["LineItem"];

export function PlannedLines(props: { lines: Line[]; currency: string; caption: string; edited?: Set<number> }): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="lines-table">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Description</th>
            <th scope="col" class="num">Quantity</th>
            <th scope="col" class="num">Unit price</th>
            <th scope="col" class="num">Discount</th>
            <th scope="col">Item</th>
            <th scope="col">Account</th>
            <th scope="col">Tax</th>
          </tr>
        </thead>
        <tbody>
          {props.lines.map((line, n) => (
            <tr key={n}>
              <td>
                {line.Description}
                {props.edited?.has(n) ? <span class="status status-info edited">Edited</span> : null}
              </td>
              <td class="num">{line.Quantity}</td>
              <td class="num">
                <Money amount={amount(line.UnitAmount)} currency={props.currency} />
              </td>
              <td class="num">{line.DiscountAmount ? <Money amount={amount(line.DiscountAmount)} /> : <span class="muted">—</span>}</td>
              <td>{line.ItemCode ?? <span class="muted">—</span>}</td>
              <td>{line.AccountCode ?? <span class="muted">—</span>}</td>
              <td>{line.TaxType ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
