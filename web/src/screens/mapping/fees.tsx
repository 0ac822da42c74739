// The Fees tab: the Xero item a cancellation fee's line is made with.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../../api";
import { useAction, useLoad } from "../../load";
import { ErrorNotice, Loading, Notice, SelectField } from "../../ui";
import { itemLabel } from "./products";

export function FeesTab(): JSX.Element {
  const fees = useLoad(() => call(api.GET("/fees", {})), []);
  const items = useLoad(() => call(api.GET("/xero/items", {})), []);
  const current = fees.data?.["cancellation"] ?? null;
  const [code, setCode] = useState("");
  const [said, setSaid] = useState<string | null>(null);
  useEffect(() => setCode(current ?? ""), [current]);
  const save = useAction(async () => {
    setSaid(null);
    const mapped = await call(api.PUT("/fees/cancellation", { body: { xero_item_code: code } }));
    setSaid(`The cancellation fee is mapped to Xero item ${mapped.xero_item_code}.`);
    await fees.reload();
  });
  const options = [
    { value: "", label: "— Not mapped —" },
    ...(current && !(items.data ?? []).some((i) => i.Code === current) ? [{ value: current, label: current }] : []),
    ...(items.data ?? []).map((item) => ({ value: item.Code, label: itemLabel(item) })),
  ];
  return (
    <section class="panel fee-panel" aria-labelledby="fees-title">
      <h2 id="fees-title">Cancellation fee</h2>
      <p class="hint">
        The Xero item a cancellation fee's line uses.{" "}
        {current ? (
          <>
            Now: <strong>{current}</strong>.
          </>
        ) : (
          "Not mapped yet: a cancellation with a fee waits until it is."
        )}
      </p>
      {said ? <Notice kind="success">{said}</Notice> : null}
      <ErrorNotice error={fees.error} />
      {items.error ? <Notice kind="warning">Xero items could not be read: {items.error.message}</Notice> : null}
      {fees.loading && !fees.data ? <Loading what="fees" /> : null}
      {save.error && !save.error.problem("xero_item_code") ? <ErrorNotice error={save.error} /> : null}
      <form
        class="fee-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <SelectField
          label="Xero item for the cancellation fee"
          value={code}
          options={options}
          onChange={(value) => {
            save.clear();
            setCode(value);
          }}
          error={save.error?.problem("xero_item_code")}
        />
        <button type="submit" class="button button-primary" disabled={save.busy || !code || code === current}>
          Save
        </button>
      </form>
    </section>
  );
}
