import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function ConnectScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Xero connection">
      <p>Not built yet.</p>
    </Page>
  );
}
