import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function ActionLogScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Action Log">
      <p>Not built yet.</p>
    </Page>
  );
}
