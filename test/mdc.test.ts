import test from "ava";
import { setTimeout as sleep } from "node:timers/promises";
import { MDC } from "../src/facade/mdc.js";

test("put/get/remove/clear in the root context", (t) => {
  MDC.clear();
  MDC.put("user", "ann");
  MDC.put("count", 3);
  t.is(MDC.get("user"), "ann");
  t.is(MDC.get("count"), "3");
  MDC.put("user", null);
  t.is(MDC.get("user"), undefined);
  t.deepEqual(MDC.getCopyOfContextMap(), { count: "3" });
  MDC.remove("count");
  MDC.put("a", "1");
  MDC.clear();
  t.deepEqual(MDC.getCopyOfContextMap(), {});
});

test("run() inherits a copy and never leaks back to the caller", (t) => {
  MDC.clear();
  MDC.put("outer", "1");
  MDC.run({ inner: "2" }, () => {
    t.is(MDC.get("outer"), "1");
    t.is(MDC.get("inner"), "2");
    MDC.put("outer", "changed");
    MDC.put("late", "x");
  });
  t.deepEqual(MDC.getCopyOfContextMap(), { outer: "1" });
  MDC.clear();
});

test("concurrent requests never see each other's values across awaits", async (t) => {
  const seen: string[] = [];
  const request = (id: string, delays: number[]): Promise<void> =>
    MDC.run({ requestId: id }, async () => {
      for (const delay of delays) {
        await sleep(delay);
        MDC.put("step", `${id}-${delay}`);
        await Promise.resolve();
        seen.push(`${id}:${MDC.get("requestId")}:${MDC.get("step")}`);
      }
    });
  await Promise.all([request("a", [5, 1, 8]), request("b", [1, 6, 2]), request("c", [3, 3, 3])]);
  t.is(seen.length, 9);
  for (const entry of seen) {
    const [id, requestId, step] = entry.split(":");
    t.is(requestId, id);
    t.true(step?.startsWith(`${id}-`), entry);
  }
  t.is(MDC.get("requestId"), undefined);
});

test("setContextMap replaces the current context; run accepts a Map", (t) => {
  MDC.run(new Map([["k", "v"]]), () => {
    MDC.setContextMap({ x: "1", y: 2 });
    t.deepEqual(MDC.getCopyOfContextMap(), { x: "1", y: "2" });
  });
  t.deepEqual(MDC.getCopyOfContextMap(), {});
});

test("a non-string key is a programmer error", (t) => {
  t.throws(() => MDC.put(42 as unknown as string, "v"), { instanceOf: TypeError });
});

test("MDC.put in concurrent handlers outside run() stays with each handler", async (t) => {
  const seen: string[] = [];
  const handler = async (user: string, delay: number): Promise<void> => {
    MDC.put("user", user);
    await sleep(delay);
    seen.push(`${user}:${MDC.get("user")}`);
  };
  // Each handler starts from its own task, as an HTTP server's request events do.
  await Promise.all([
    new Promise<void>((resolve) => setImmediate(() => void handler("alice", 20).then(resolve))),
    new Promise<void>((resolve) => setImmediate(() => void handler("bob", 5).then(resolve))),
  ]);
  t.deepEqual(seen.sort(), ["alice:alice", "bob:bob"]);
});

