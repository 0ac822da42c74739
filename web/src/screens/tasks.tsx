import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function TasksScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Tasks">
      <p>Not built yet.</p>
    </Page>
  );
}
