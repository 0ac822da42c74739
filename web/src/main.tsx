import { render } from "preact";
import { App } from "./app";
import { loadConfig, setConfig } from "./config";
import { startSession } from "./session";
import "./styles.css";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  try {
    const config = await loadConfig();
    setConfig(config);
    startSession(config.storeOrigins);
  } catch {
    root.textContent = "The Xero integration could not load its configuration. Reload to try again.";
    return;
  }
  root.textContent = "";
  render(<App />, root);
}

void start();
