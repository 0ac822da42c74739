import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function ReconcileScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Reconcile">
      <p>Not built yet.</p>
    </Page>
  );
}
