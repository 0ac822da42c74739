// Loading what a screen shows: its data, the error if the API refused, and a way to load again.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>, keys: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const ticket = ++latest.current; // an older answer arriving late is dropped
    setLoading(true);
    try {
      const value = await load();
      if (ticket === latest.current) {
        setData(value);
        setError(undefined);
      }
    } catch (caught) {
      if (ticket === latest.current) setError(asApiError(caught));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, keys);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

export function asApiError(caught: unknown): ApiError {
  if (caught instanceof ApiError) return caught;
  return new ApiError(0, "error", caught instanceof Error ? caught.message : String(caught));
}

/** Runs an action once at a time, keeping its error to show beside the control. */
export function useAction<A extends unknown[], T>(
  act: (...args: A) => Promise<T>,
): { run: (...args: A) => Promise<T | undefined>; busy: boolean; error: ApiError | undefined; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = async (...args: A): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await act(...args);
    } catch (caught) {
      setError(asApiError(caught));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(undefined) };
}
