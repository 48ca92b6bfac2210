/** Alerts as log lines: one per firing and one per resolution, with the labels as fields. */
import type { Logger } from "../core/log.js";
import type { Alert, AlertSink } from "./lifecycle.js";

export function logSink(log: Logger): AlertSink {
  return {
    firing: (a: Alert) =>
      log.warn({ alert: a.labels, summary: a.annotations.summary }, `alert firing: ${a.labels.alertname}`),
    resolved: (a: Alert) => log.info({ alert: a.labels }, `alert resolved: ${a.labels.alertname}`),
  };
}
