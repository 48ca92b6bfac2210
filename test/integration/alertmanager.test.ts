/**
 * The Alertmanager v2 client against Debian's prometheus-alertmanager on loopback: alerts arrive
 * with their labels and annotations, resolve, and survive Alertmanager being down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { realClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/log.js";
import { Metrics } from "../../src/core/metrics.js";
import { AlertmanagerSink } from "../../src/alerts/alertmanager.js";
import type { Alert } from "../../src/alerts/lifecycle.js";
import { startAlertmanager, waitFor, type Alertmanager } from "../harness/lab.js";

const PORT = 19301;
let am: Alertmanager | undefined;
let sink: AlertmanagerSink | undefined;

afterEach(async () => {
  sink?.stop();
  await am?.stop();
  am = sink = undefined;
});

function alert(node: string): Alert {
  return {
    key: `RouteWithoutEndpoint{node=${node}}`,
    labels: {
      alertname: "RouteWithoutEndpoint",
      severity: "critical",
      namespace: "shop",
      service: "web",
      node,
      prefix: "10.208.1.5/32",
    },
    annotations: { summary: `${node} announces without endpoint`, description: "d", fix: "f" },
    activeSinceMicros: realClock.now() - 5_000_000,
    firedMicros: realClock.now(),
  };
}

function newSink(urls: string[]): AlertmanagerSink {
  return new AlertmanagerSink(
    {
      urls,
      generatorUrl: (a) => `http://routewatch.test/api/v1/alerts?alertname=${a.labels.alertname}`,
      resendMs: 1000,
      minBackoffMs: 100,
      maxBackoffMs: 500,
    },
    realClock,
    createLogger("silent"),
    new Metrics(),
  );
}

describe("AlertmanagerSink", () => {
  it("delivers a firing alert with its labels and resolves it", async () => {
    am = startAlertmanager(PORT);
    await waitFor("Alertmanager up", () => am!.alerts().then(() => true), 15_000);
    sink = newSink([am.url]);
    const a = alert("node3");
    sink.firing(a);
    const got = await waitFor(
      "alert in Alertmanager",
      async () => (await am!.alerts()).find((x) => x.labels.node === "node3"),
      5000,
    );
    expect(got.labels).toEqual(a.labels);
    expect(got.annotations).toEqual({
      summary: "node3 announces without endpoint",
      description: "d",
      fix: "f",
    });
    expect(got.generatorURL).toBe("http://routewatch.test/api/v1/alerts?alertname=RouteWithoutEndpoint");
    expect(Date.parse(got.startsAt)).toBe(Math.floor(a.activeSinceMicros / 1000));
    sink.resolved({ ...a, endsMicros: realClock.now() });
    await waitFor("alert resolved", async () => (await am!.alerts()).length === 0, 5000);
  }, 30_000);

  it("keeps alerts while Alertmanager is down and delivers them when it is back", async () => {
    // Our own state dir, kept across the restart.
    const dir = mkdtempSync(join(tmpdir(), "routewatch-am-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    am = startAlertmanager(PORT, dir);
    await waitFor("Alertmanager up", () => am!.alerts().then(() => true), 15_000);
    sink = newSink([am.url]);
    // Down: the alert fires meanwhile.
    await am.stop();
    sink.firing(alert("node1"));
    await new Promise((r) => setTimeout(r, 1500));
    am = startAlertmanager(PORT, dir);
    const got = await waitFor(
      "alert delivered after restart",
      async () => (await am!.alerts()).find((x) => x.labels.node === "node1"),
      15_000,
    );
    expect(got.labels.alertname).toBe("RouteWithoutEndpoint");
  }, 40_000);
});
