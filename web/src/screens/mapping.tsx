// Mapping (from the gear menu): marketplace customers to Xero contacts, products to Xero items,
// and the fees' items, one tab each (#/mapping/customers, #/mapping/products, #/mapping/fees).

import type { JSX } from "preact";
import type { Route } from "../router";
import { href } from "../router";
import { Page } from "../ui";
import { CustomersTab } from "./mapping/customers";
import { FeesTab } from "./mapping/fees";
import { ProductsTab } from "./mapping/products";
import "./mapping/mapping.css";

const TABS = [
  { part: "customers", label: "Customers" },
  { part: "products", label: "Products" },
  { part: "fees", label: "Fees" },
] as const;

type Tab = (typeof TABS)[number]["part"];

export function MappingScreen(props: { route: Route }): JSX.Element {
  const asked = props.route.parts[1];
  const tab: Tab = TABS.find((t) => t.part === asked)?.part ?? "customers";
  const unmapped = props.route.query.get("unmapped") === "1";
  return (
    <Page title="Mapping">
      <nav class="mapping-tabs" aria-label="Mapping">
        <ul>
          {TABS.map((t) => (
            <li key={t.part}>
              <a href={href(`/mapping/${t.part}`)} aria-current={t.part === tab ? "page" : undefined}>
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {tab === "customers" ? <CustomersTab unmapped={unmapped} /> : null}
      {tab === "products" ? <ProductsTab unmapped={unmapped} /> : null}
      {tab === "fees" ? <FeesTab /> : null}
    </Page>
  );
}
