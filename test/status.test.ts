import test from "ava";
import { Level, StatusChannel, type StatusEvent } from "../src/index.js";
import { resetStatusRateLimits, setStatusClock } from "../src/status/status.js";

test("status events are rate-limited per code and the next delivered one counts the suppressed", (t) => {
  resetStatusRateLimits();
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  t.teardown(stop);
  const originalWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write; // keep the test output clean
  try {
    for (let i = 0; i < 25; i++) StatusChannel.report("WRITE_FAILED", Level.ERROR, `failure ${i}`);
    StatusChannel.report("ROTATE_FAILED", Level.ERROR, "other code");
  } finally {
    process.stderr.write = originalWrite;
  }
  const writes = events.filter((e) => e.code === "WRITE_FAILED");
  t.is(writes.length, 10);
  t.deepEqual(writes.map((e) => e.message), Array.from({ length: 10 }, (_, i) => `failure ${i}`));
  t.is(events.filter((e) => e.code === "ROTATE_FAILED").length, 1);
  t.true(writes.every((e) => e.suppressed === 0));
});

test("after the minute, the next event carries how many were suppressed", (t) => {
  resetStatusRateLimits();
  let now = 1_000_000;
  setStatusClock(() => now);
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  const originalWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  t.teardown(() => {
    stop();
    setStatusClock();
    process.stderr.write = originalWrite;
  });
  for (let i = 0; i < 15; i++) StatusChannel.report("WRITE_FAILED", Level.ERROR, `a${i}`);
  now += 59_999;
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "still suppressed");
  now += 1;
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "next window");
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "after that");
  t.is(events.length, 12);
  t.like(events[10], { message: "next window", suppressed: 6 });
  t.like(events[11], { message: "after that", suppressed: 0 });
});

test("a listener that throws does not stop the others", (t) => {
  resetStatusRateLimits();
  const seen: string[] = [];
  const a = StatusChannel.subscribe(() => {
    throw new Error("listener bug");
  });
  const b = StatusChannel.subscribe((e) => seen.push(e.code));
  t.teardown(() => {
    a();
    b();
  });
  t.notThrows(() => StatusChannel.report("CONFIG_APPLIED", Level.INFO, "x"));
  t.deepEqual(seen, ["CONFIG_APPLIED"]);
});
