// What the deployment tells the app: the store origins allowed to hand over a session. Served as /config.json by the host (the local stack,
// or CloudFront's function from template.yaml's parameters).

export interface AppConfig {
  storeOrigins: string[];
  notificationPollSeconds?: number; // how often pop-up notifications are looked for (default 10)
  notificationLingerSeconds?: number; // how long pop-ups stay open before tucking away (default 30)
}

export const API_BASE = "/api"; // the API, on the app's own origin (CloudFront's /api/* path)

function isConfig(value: unknown): value is AppConfig {
  if (typeof value !== "object" || value === null) return false;
  const config = value as Record<string, unknown>;
  return (
    Array.isArray(config.storeOrigins) &&
    config.storeOrigins.every((o) => typeof o === "string") &&
    (config.notificationPollSeconds === undefined ||
      (typeof config.notificationPollSeconds === "number" && config.notificationPollSeconds > 0)) &&
    (config.notificationLingerSeconds === undefined ||
      (typeof config.notificationLingerSeconds === "number" && config.notificationLingerSeconds > 0))
  );
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  const body: unknown = await response.json();
  if (!response.ok || !isConfig(body)) throw new Error("the app's configuration is unreadable");
  return body;
}

let loaded: AppConfig = { storeOrigins: [] };

export function setConfig(config: AppConfig): void {
  loaded = config;
}

export function config(): AppConfig {
  return loaded;
}
