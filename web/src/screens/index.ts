// Which screen a route shows. Each area owns its screen's module; this table only points.

import type { JSX } from "preact";
import type { Route } from "../router";
import { ActionLogScreen } from "./action_log";
import { ConnectScreen } from "./connect";
import { DashboardScreen } from "./dashboard";
import { MappingScreen } from "./mapping";
import { ReconcileScreen } from "./reconcile";
import { SettingsScreen } from "./settings";
import { TasksScreen } from "./tasks";

export type Screen = (props: { route: Route }) => JSX.Element;

/** The screens by the route's first part; "" is the dashboard. */
export const SCREENS: Record<string, Screen> = {
  "": DashboardScreen,
  connection: ConnectScreen,
  settings: SettingsScreen,
  mapping: MappingScreen,
  tasks: TasksScreen,
  "action-log": ActionLogScreen,
  reconcile: ReconcileScreen,
};

/** The main navigation (the gear menu holds Settings, Mapping and the connection). */
export const MAIN_NAV: { path: string; label: string }[] = [
  { path: "/", label: "Dashboard" },
  { path: "/tasks", label: "Tasks" },
  { path: "/action-log", label: "Action Log" },
  { path: "/reconcile", label: "Reconcile" },
];

export const GEAR_MENU: { path: string; label: string }[] = [
  { path: "/settings", label: "Settings" },
  { path: "/mapping", label: "Mapping" },
  { path: "/connection", label: "Xero connection" },
];
