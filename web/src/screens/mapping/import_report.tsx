// What "Import all" did: contacts made, existing contacts matched, customers skipped (with what
// their profile lacks, the contacts to choose between, or Xero's reason).

import type { JSX } from "preact";
import type { Schemas } from "../../api";
import { lacking } from "./words";

export function ImportReportPanel(props: {
  report: Schemas["ImportReport"];
  names: Record<string, string>;
  onChoose: (customerId: string) => void;
}): JSX.Element {
  const { report } = props;
  const name = (id: string): string => props.names[id] ?? id;
  const incomplete = Object.entries(report.incomplete);
  const toConfirm = Object.entries(report.to_confirm ?? {});
  const refused = Object.entries(report.refused ?? {});
  const skipped = incomplete.length + toConfirm.length + refused.length;
  return (
    <section class="panel report" aria-labelledby="import-report-title">
      <h2 id="import-report-title">Import report</h2>
      <p role="status">
        {report.created.length} made, {report.matched.length} matched, {skipped} skipped.
      </p>
      <dl>
        {report.created.length ? (
          <>
            <dt>Contacts made in Xero</dt>
            <dd>
              <ul>
                {report.created.map((id) => (
                  <li key={id}>{name(id)}</li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {report.matched.length ? (
          <>
            <dt>Matched to an existing contact</dt>
            <dd>
              <ul>
                {report.matched.map((id) => (
                  <li key={id}>{name(id)}</li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {incomplete.length ? (
          <>
            <dt>Skipped: the profile is incomplete</dt>
            <dd>
              <ul>
                {incomplete.map(([id, missing]) => (
                  <li key={id}>
                    {name(id)}: lacks {lacking(missing)}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {toConfirm.length ? (
          <>
            <dt>Skipped: choose the contact yourself</dt>
            <dd>
              <ul>
                {toConfirm.map(([id, candidates]) => (
                  <li key={id}>
                    {name(id)}: could be {candidates.join("; ")}{" "}
                    <button
                      type="button"
                      class="button"
                      aria-label={`Choose contact for ${name(id)}`}
                      onClick={() => props.onChoose(id)}
                    >
                      Choose contact
                    </button>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {refused.length ? (
          <>
            <dt>Skipped: Xero refused the contact</dt>
            <dd>
              <ul>
                {refused.map(([id, reason]) => (
                  <li key={id}>
                    {name(id)}: {reason}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}
