// Xero's own "Connect to Xero" and "Disconnect" buttons, drawn in CSS (connect.css) with the Xero
// mark in SVG: no image is downloaded, and the text stays real text (readable, translatable).

import type { JSX } from "preact";

function XeroMark(props: { inverse?: boolean }): JSX.Element {
  return (
    <svg class="xero-mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <circle cx="12" cy="12" r="12" class={props.inverse ? "xero-mark-disc-inverse" : "xero-mark-disc"} />
      <path
        d="M8 8l8 8M16 8l-8 8"
        class={props.inverse ? "xero-mark-x-inverse" : "xero-mark-x"}
        stroke-width="2.4"
        stroke-linecap="round"
      />
    </svg>
  );
}

export function ConnectToXero(props: {
  onClick: () => void;
  busy?: boolean;
  label?: string;
}): JSX.Element {
  return (
    <button type="button" class="xero-button xero-connect" onClick={props.onClick} disabled={props.busy}>
      <XeroMark inverse />
      <span>{props.busy ? "Waiting for Xero…" : (props.label ?? "Connect to Xero")}</span>
    </button>
  );
}

export function DisconnectFromXero(props: { onClick: () => void; busy?: boolean }): JSX.Element {
  return (
    <button type="button" class="xero-button xero-disconnect" onClick={props.onClick} disabled={props.busy}>
      <XeroMark />
      <span>Disconnect</span>
    </button>
  );
}
