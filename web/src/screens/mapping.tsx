import type { JSX } from "preact";
import type { Route } from "../router";
import { Page } from "../ui";

export function MappingScreen(props: { route: Route }): JSX.Element {
  void props.route;
  return (
    <Page title="Mapping">
      <p>Not built yet.</p>
    </Page>
  );
}
