// The Tasks screen: the list (#/tasks?status=failed), one task (#/tasks/<id>) and the manual
// sync wizard (#/tasks/<id>/sync).

import type { JSX } from "preact";
import type { Route } from "../router";
import { TaskList } from "./tasks/list";
import { TaskView } from "./tasks/detail";
import { SyncWizard } from "./tasks/wizard";
import "./tasks/tasks.css";

export function TasksScreen(props: { route: Route }): JSX.Element {
  const [, taskId, sub] = props.route.parts;
  if (taskId && sub === "sync") return <SyncWizard taskId={taskId} />;
  if (taskId) return <TaskView taskId={taskId} />;
  return <TaskList query={props.route.query} />;
}
