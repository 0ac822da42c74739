// The typed API client: generated from the API's own OpenAPI document at build time
// (generated/schema.d.ts), so a change to the API that breaks a screen fails the build.

import createClient from "openapi-fetch";
import type { components, paths } from "../generated/schema";
import { API_BASE } from "./config";
import { currentToken, renewSession } from "./session";

export type Schemas = components["schemas"];
export type FieldProblem = Schemas["FieldProblem"];

/** A failure the API answered, in its one error shape, or the network's. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The problem named for one field (as the API names it: `body.field`, `field` or `If-Match`). */
  problem(field: string): string | undefined {
    const names = new Set([field, `body.${field}`]);
    return this.fields.find((f) => names.has(f.field))?.problem;
  }
}

async function withSession(request: Request): Promise<Response> {
  const retry = request.clone(); // a body is read once: keep one for a second try
  const send = (token: string | null, req: Request): Promise<Response> => {
    if (token) req.headers.set("Authorization", `Bearer ${token}`);
    return fetch(req);
  };
  const response = await send(currentToken(), request);
  if (response.status !== 401) return response;
  const fresh = await renewSession();
  return fresh ? send(fresh, retry) : response;
}

export const api = createClient<paths>({ baseUrl: API_BASE, fetch: withSession });

function asError(status: number, body: unknown): ApiError {
  if (typeof body === "object" && body !== null && "message" in body) {
    const shaped = body as Partial<Schemas["ErrorBody"]>;
    return new ApiError(
      status,
      shaped.code ?? "error",
      String(shaped.message),
      Array.isArray(shaped.fields) ? shaped.fields : [],
    );
  }
  return new ApiError(status, "error", `the API answered ${status}`);
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError with the API's message and the fields it names. */
export async function call<T>(pending: Promise<Answer<T>>): Promise<T> {
  return (await answered(pending)).data;
}

/** As call, with the response too (for its headers: an ETag, say). */
export async function answered<T>(
  pending: Promise<Answer<T>>,
): Promise<{ data: T; response: Response }> {
  let answer: Answer<T>;
  try {
    answer = await pending;
  } catch {
    throw new ApiError(0, "network", "The API could not be reached. Check the connection and try again.");
  }
  if (answer.error !== undefined || !answer.response.ok) {
    throw asError(answer.response.status, answer.error);
  }
  return { data: answer.data as T, response: answer.response };
}
