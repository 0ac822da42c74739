// The moment a screen's figures are first on screen, as a performance mark: benchmarks/web.py
// times the dashboard's first meaningful paint by `cbxero:dashboard-painted`.

import { useEffect } from "preact/hooks";

/** Marks `name` once per page, after the first paint in which `shown` is true (Preact runs
 * effects after the browser has painted). */
export function usePainted(name: string, shown: boolean): void {
  useEffect(() => {
    if (shown && performance.getEntriesByName(name, "mark").length === 0) performance.mark(name);
  }, [shown, name]);
}
