// Where Xero's consent returns (in the pop-up the connection screen opened): hands the outcome
// (the flow handle, or the reason it failed) to the app that opened it, on the same origin
// only, and closes. The verifier never left the app's memory, so only that app can finish.

interface Outcome {
  type: "cbxero:xero-consent";
  xero: string;
  flow: string | null;
  reason: string | null;
}

const params = new URLSearchParams(window.location.search);
const outcome: Outcome = {
  type: "cbxero:xero-consent",
  xero: params.get("xero") ?? "error",
  flow: params.get("flow"),
  reason: params.get("reason"),
};
const heading = document.getElementById("outcome");
const detail = document.getElementById("detail");

if (window.opener && window.opener !== window) {
  (window.opener as Window).postMessage(outcome, window.location.origin);
  if (heading) heading.textContent = "Back to the Xero integration…";
  window.setTimeout(() => window.close(), 300);
  // A window the app opened by a link (its pop-up was blocked) may not close itself.
  window.setTimeout(() => {
    if (heading) heading.textContent = "Done: you can close this window";
    if (detail) detail.textContent = "The Xero integration has the outcome of your consent.";
  }, 1200);
} else {
  if (heading) heading.textContent = "Xero consent finished";
  if (detail) {
    detail.textContent =
      "This window was not opened by the Xero integration, so nothing is connected from here. " +
      "Start again from the integration's Xero connection screen.";
  }
}
