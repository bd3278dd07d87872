// The PostgreSQL event bus (events/bus.ts) under many commits at once: every process still hears the highest seq
// and every access change, the listening connection runs one NOTIFY at a time (pg queues overlapping queries on a
// client with a deprecation warning, and pg 9 refuses them), and overlapping signals are merged into fewer NOTIFYs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresBus } from "../../server/src/events/bus.ts";
import { createLogger } from "../../server/src/log.ts";
import { databaseAvailable, dbKind, freshDatabase } from "../support/server.ts";

const run = databaseAvailable && dbKind === "postgres";

describe.runIf(run)("PostgreSQL event bus, many signals at once", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sender: PostgresBus;
  let receiver: PostgresBus;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);

  beforeAll(async () => {
    db = await freshDatabase();
    const log = createLogger("error");
    sender = new PostgresBus(db.databaseUrl!, log);
    receiver = new PostgresBus(db.databaseUrl!, log);
    await Promise.all([sender.connect(), receiver.connect()]);
    process.on("warning", onWarning);
  });

  afterAll(async () => {
    process.off("warning", onWarning);
    await Promise.all([sender?.close(), receiver?.close()]);
    await db?.drop();
  });

  it("announces the highest seq and every access change to the other process, one NOTIFY at a time", async () => {
    const heard: bigint[] = [];
    let accessChanges = 0;
    receiver.subscribe((seq) => heard.push(seq));
    receiver.subscribeAccessChange(() => accessChanges++);
    const local: bigint[] = [];
    sender.subscribe((seq) => local.push(seq));

    // 200 commits' signals in one tick, and an access change among them: none awaited before the next.
    const sent: Promise<void>[] = [];
    for (let seq = 1n; seq <= 200n; seq++) {
      sent.push(sender.publish(seq));
      if (seq === 100n) sent.push(sender.publishAccessChange());
    }
    await Promise.all(sent); // each resolves once a NOTIFY covering it went out

    // This process's readers hear every seq at once, without a round trip (then its own NOTIFYs come back too).
    expect(local.slice(0, 200)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
    // The other process hears 200 (which stands for all below it) and the access change.
    await until(() => heard.includes(200n) && accessChanges >= 1);
    expect(Math.max(...heard.map(Number))).toBe(200);
    expect(heard.every((seq) => seq >= 1n && seq <= 200n)).toBe(true);
    // Merged: the first signal goes out alone, the 199 that waited behind it in one NOTIFY (plus the access change).
    expect(heard.length).toBeLessThan(200);
    expect(warnings.filter((w) => w.includes("already executing a query"))).toEqual([]);
  });

  it("a signal asked for after the others were sent still goes out", async () => {
    const heard: bigint[] = [];
    receiver.subscribe((seq) => heard.push(seq));
    await sender.publish(300n);
    await until(() => heard.includes(300n));
    await sender.publish(301n);
    await until(() => heard.includes(301n));
    expect(heard).toEqual([300n, 301n]);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the bus");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
