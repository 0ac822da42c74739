import type { JSX } from "preact";
import { usePainted } from "../painted";
import type { Route } from "../router";
import { Page } from "../ui";

export function DashboardScreen(props: { route: Route }): JSX.Element {
  void props.route;
  usePainted("cbxero:dashboard-painted", true); // true once the dashboard's figures are shown
  return (
    <Page title="Dashboard">
      <p>Not built yet.</p>
    </Page>
  );
}
