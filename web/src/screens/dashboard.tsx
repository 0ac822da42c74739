import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function DashboardScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Dashboard">
      <p>Not built yet.</p>
    </Page>
  );
}
