// Why Xero needs reconnecting, in the words the product logged when it found out (a refused
// token, or the organisation disconnected inside Xero): the connection's latest action-required
// entry in the Action Log. Shown on the connection screen and the dashboard.

import type { ComponentChildren, JSX } from "preact";
import { api, call } from "../../api";
import { useLoad } from "../../load";
import { href } from "../../router";
import { Notice, When } from "../../ui";
import "../connect.css";

/** Why Xero needs reconnecting: the connection's latest action-required entry in the Action Log. */
export function ReconnectReason(props: { children?: ComponentChildren }): JSX.Element {
  const reason = useLoad(
    () =>
      call(
        api.GET("/action-log", {
          params: { query: { action: "xero_connection", status: "action_required", limit: 1 } },
        }),
      ),
    [],
  );
  const entry = reason.data?.items[0];
  return (
    <Notice kind="warning">
      <p>
        <strong>Reconnect needed.</strong>{" "}
        {entry
          ? entry.message
          : "Xero no longer accepts this connection: the app was disconnected inside Xero (Settings › Connected Apps), or Xero's access was revoked or expired. Syncing is paused; no order is lost."}{" "}
        Connect to Xero again to resume.
      </p>
      {entry ? (
        <p class="muted-inline">
          Noticed <When value={entry.at} />.{" "}
          <a href={href("/action-log", { action: "xero_connection" })}>See the Action Log</a>
        </p>
      ) : null}
      {props.children}
    </Notice>
  );
}
