import path from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../src/core/clock.js";
import type { Config } from "../../../src/core/config.js";
import { parseTimestamp } from "../../../src/core/time.js";
import { KubeInventory } from "../../../src/inventory/kube-inventory.js";
import { createInventory, FileInventory } from "../../../src/inventory/provider.js";
import { INVENTORY_FIXTURES } from "../../helpers/kube-objects.js";

const config = (inventory: Partial<Config["inventory"]>): Config =>
  ({ inventory: { kubernetes: false, ...inventory } }) as Config;

describe("createInventory", () => {
  it("picks the file, the API, or nothing", async () => {
    const clock = new VirtualClock();
    expect(await createInventory(config({ file: "x.json" }), clock)).toBeInstanceOf(FileInventory);
    expect(await createInventory(config({ kubernetes: true }), clock)).toBeInstanceOf(KubeInventory);
    expect(await createInventory(config({}), clock)).toBeUndefined();
  });

  it("applies a snapshot at start and is synced", async () => {
    const clock = new VirtualClock(5_000_000);
    const inventory = (await createInventory(
      config({ file: path.join(INVENTORY_FIXTURES, "example-list.json") }),
      clock,
    ))!;
    let changes = 0;
    inventory.onChange(() => changes++);
    expect(inventory.view().synced).toBe(false);
    await inventory.start();
    expect(inventory.view().synced).toBe(true);
    expect(inventory.view().services).toHaveLength(4);
    expect(changes).toBe(2); // the objects, then synced
    await inventory.stop();
  });

  it("plays a timeline from the start of the run: the pod moves 45.3 s after start", async () => {
    const start = parseTimestamp("2027-01-01T00:00:00Z");
    const clock = new VirtualClock(start);
    const inventory = (await createInventory(
      config({ file: path.join(INVENTORY_FIXTURES, "example-timeline.jsonl") }),
      clock,
    ))!;
    await inventory.start();
    const web = () => inventory.view().services.find((s) => s.name === "web")!;
    expect(inventory.view().synced).toBe(true);
    expect([...web().readyNodes]).toEqual(["node1"]);
    clock.advanceTo(start + 15_099_999);
    expect([...web().readyNodes].sort()).toEqual(["node1", "node2"]);
    clock.advanceTo(start + 45_300_000);
    expect(web().endpoints.map((e) => e.node)).toEqual(["node2"]);
    await inventory.stop();
  });

  it("reports a bad file when started", async () => {
    const inventory = (await createInventory(
      config({ file: "/nonexistent/inventory.json" }),
      new VirtualClock(),
    ))!;
    await expect(inventory.start()).rejects.toThrow(
      /^\/nonexistent\/inventory\.json: cannot read the inventory: ENOENT/,
    );
  });

  it("reports a missing kubeconfig when started", async () => {
    const inventory = (await createInventory(
      config({ kubernetes: true, kubeconfig: "/nonexistent/kubeconfig" }),
      new VirtualClock(),
    ))!;
    await expect(inventory.start()).rejects.toThrow(
      /^cannot load the kubeconfig \/nonexistent\/kubeconfig: ENOENT/,
    );
  });
});
