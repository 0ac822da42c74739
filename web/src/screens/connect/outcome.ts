// What the Xero consent's outcome means to the person who connected: connected, cancelled, no
// organisation, or an error, in words (the callback's `reason` values: functions/oauth).

import type { Kind } from "../../ui";

export interface Outcome {
  kind: Kind;
  title: string;
  detail: string;
}

const REASONS: Record<string, Outcome> = {
  access_denied: {
    kind: "warning",
    title: "Connecting was cancelled",
    detail: "You cancelled on Xero's page, so nothing was connected. Connect again when you are ready.",
  },
  no_organisation: {
    kind: "warning",
    title: "No organisation was chosen",
    detail:
      "Xero granted access to no organisation, so nothing was connected. Connect again and tick the organisation to sync on Xero's page.",
  },
  state_used: {
    kind: "error",
    title: "This Xero link was already used",
    detail: "Each connection link works once. Start again with Connect to Xero.",
  },
  state_expired: {
    kind: "error",
    title: "The Xero link expired",
    detail: "Consent took longer than ten minutes. Start again with Connect to Xero.",
  },
  xero_unavailable: {
    kind: "error",
    title: "Xero could not be reached",
    detail: "Xero did not answer while connecting; nothing was connected. Try again in a few minutes.",
  },
  missing_code: {
    kind: "error",
    title: "Xero sent no authorization",
    detail: "Xero came back without an authorization code; nothing was connected. Try again.",
  },
  invalid_code: {
    kind: "error",
    title: "Xero's answer could not be used",
    detail: "Xero came back with an authorization code that could not be used; nothing was connected. Try again.",
  },
  closed: {
    kind: "warning",
    title: "The Xero window was closed",
    detail: "The Xero window closed before consent finished, so nothing was connected. Connect again when you are ready.",
  },
};

/** The outcome of a consent that came back with xero=error and this reason. */
export function failed(reason: string | null): Outcome {
  const known = reason ? REASONS[reason] : undefined;
  return (
    known ?? {
      kind: "error",
      title: "Xero refused the connection",
      detail: `Xero answered "${reason ?? "unknown error"}"; nothing was connected. Try again, and if it happens again, see the Action Log.`,
    }
  );
}
