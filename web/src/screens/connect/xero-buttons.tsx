// Xero's own "Connect to Xero" and "Disconnect" buttons, drawn in CSS (connect.css) with the Xero
// mark in SVG: no image is downloaded, and the text stays real text (readable, translatable).

import type { JSX } from "preact";

function XeroMark(props: { inverse?: boolean }): JSX.Element {
  return (
    <svg class="xero-mark" viewBox="0 0 28 28" width="28" height="28" aria-hidden="true" focusable="false">
      <circle cx="14" cy="14" r="14" class={props.inverse ? "xero-mark-disc-inverse" : "xero-mark-disc"} />
      <text x="14" y="17.4" text-anchor="middle" class={props.inverse ? "xero-mark-word-inverse" : "xero-mark-word"}>
        xero
      </text>
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
