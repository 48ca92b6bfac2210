/**
 * A condition is what one rule finds wrong right now: an alert name, the labels that make it
 * actionable, and a paragraph explaining it and the fix. The alert lifecycle turns conditions that
 * persist into firing alerts (src/alerts/).
 */

export type Severity = "critical" | "warning";

export interface Condition {
  alertname: string;
  severity: Severity;
  /** Contract labels (namespace, service, node, prefix, pool, peer) where they apply; `alertname` and `severity` are added. */
  labels: Record<string, string>;
  annotations: { summary: string; description: string; fix: string };
}

/** Stable identity of a condition: alert name plus sorted labels (Alertmanager's fingerprint idea). */
export function conditionKey(c: Pick<Condition, "alertname" | "labels">): string {
  const labels = Object.keys(c.labels)
    .sort()
    .map((k) => `${k}=${c.labels[k]}`)
    .join(",");
  return `${c.alertname}{${labels}}`;
}

/** The full label set sent out: alertname and severity first. */
export function alertLabels(c: Condition): Record<string, string> {
  return { alertname: c.alertname, severity: c.severity, ...c.labels };
}
