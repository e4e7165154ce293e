/**
 * The retry buffer alone (src/output/retry-buffer.ts), in front of a destination the test turns
 * off and on: records keep their order, the queue is bounded and what it drops is counted and
 * stated once writing works again, and failed writes are retried with a growing delay, read off
 * an injected clock. The file writer and the targets use it; their own tests meet it only
 * through a full disk or a dead receiver.
 */
import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import { RetryBuffer, type DropReport, type RetryBufferOptions } from "../src/output/retry-buffer.js";
import { waitFor } from "./lib/helpers.js";

/** A destination that writes while `up` (drop records only when also not `refuseDropRecords`), and remembers every attempt with the clock's time. */
interface Destination {
  up: boolean;
  refuseDropRecords: boolean;
  readonly written: string[];
  readonly attempts: Array<{ line: string; at: number }>;
  /** Reports passed to `dropRecord`. */
  readonly drops: DropReport[];
}

/** The injected clock, in milliseconds; starts at an arbitrary epoch time. */
interface Clock {
  now: number;
}

/**
 * A buffer writing to a fresh destination, with the test's clock and a first retry delay of
 * 10 s: long enough that its real timer never fires during a test (and it is closed at the
 * end), so every retry seen here is one that `offer()` makes when the clock says it is due.
 */
function setup(t: ExecutionContext, options: Partial<RetryBufferOptions> = {}): { buffer: RetryBuffer; dest: Destination; clock: Clock } {
  const dest: Destination = { up: true, refuseDropRecords: false, written: [], attempts: [], drops: [] };
  const clock: Clock = { now: 1_000_000 };
  const buffer = new RetryBuffer({
    capacity: 100,
    initialDelayMs: 10_000,
    maxDelayMs: 40_000,
    now: () => clock.now,
    write: (line) => {
      dest.attempts.push({ line, at: clock.now });
      const ok = dest.up && !(dest.refuseDropRecords && line.startsWith("dropped"));
      if (ok) dest.written.push(line);
      return ok;
    },
    dropRecord: (report) => {
      dest.drops.push(report);
      return `dropped ${report.count}`;
    },
    ...options,
  });
  t.teardown(() => buffer.close());
  return { buffer, dest, clock };
}

test("records are written at once while the destination works, and in the order offered after it failed: a new record never overtakes one that waits", (t) => {
  const { buffer, dest, clock } = setup(t);
  t.true(buffer.offer("r0"));
  dest.up = false;
  t.false(buffer.offer("r1"), "not written: queued");
  t.false(buffer.offer("r2"));
  // The destination works again before the retry is due: r3 still waits behind r1 and r2.
  dest.up = true;
  t.false(buffer.offer("r3"));
  t.deepEqual(dest.written, ["r0"]);
  t.is(buffer.size, 3);
  clock.now += 10_000;
  t.false(buffer.offer("r4"), "queued, then written with the others by the retry it triggered");
  t.deepEqual(dest.written, ["r0", "r1", "r2", "r3", "r4"]);
  t.is(buffer.size, 0);
  t.true(buffer.offer("r5"), "written at once again");
  t.deepEqual(dest.written, ["r0", "r1", "r2", "r3", "r4", "r5"]);
  t.deepEqual(buffer.stats(), { buffered: 0, dropped: 0, highWater: 4 });
});

test("past its capacity the queue drops the newest records and counts them; once drained, one drop record states how many and between which times", (t) => {
  const { buffer, dest, clock } = setup(t, { capacity: 3 });
  dest.up = false;
  for (let i = 0; i < 6; i++) {
    buffer.offer(`r${i}`);
    clock.now += 1000;
  }
  // r0..r2 wait; r3 (offered at +3 s), r4 and r5 (at +5 s) are dropped.
  t.deepEqual(buffer.stats(), { buffered: 3, dropped: 3, highWater: 3 });
  dest.up = true;
  t.true(buffer.drain());
  t.deepEqual(dest.written, ["r0", "r1", "r2", "dropped 3"]);
  t.deepEqual(dest.drops, [{ count: 3, from: 1_003_000, to: 1_005_000 }]);
  t.deepEqual(buffer.stats(), { buffered: 0, dropped: 3, highWater: 3 }, "the drop counter counts since creation");
  // A second outage: its drop record states only its own drops, the counter goes on.
  dest.up = false;
  for (let i = 6; i < 10; i++) buffer.offer(`r${i}`);
  dest.up = true;
  t.true(buffer.drain());
  t.deepEqual(dest.written.slice(4), ["r6", "r7", "r8", "dropped 1"]);
  t.deepEqual(dest.drops.at(-1), { count: 1, from: 1_006_000, to: 1_006_000 });
  t.is(buffer.stats().dropped, 4);
});

test("capacity 0 keeps nothing: every record that fails is dropped and counted, and the drop record is written at the next success", (t) => {
  const { buffer, dest } = setup(t, { capacity: 0 });
  dest.up = false;
  t.false(buffer.offer("r0"));
  t.false(buffer.offer("r1"));
  t.deepEqual(buffer.stats(), { buffered: 0, dropped: 2, highWater: 0 });
  dest.up = true;
  t.true(buffer.drain());
  t.deepEqual(dest.written, ["dropped 2"]);
});

test("a drop record that cannot be written is retried with the full count, after the records that queued meanwhile", (t) => {
  const { buffer, dest, clock } = setup(t, { capacity: 2 });
  dest.up = false;
  for (let i = 0; i < 4; i++) buffer.offer(`r${i}`);
  t.deepEqual(buffer.stats(), { buffered: 2, dropped: 2, highWater: 2 });
  dest.up = true;
  dest.refuseDropRecords = true;
  clock.now += 10_000;
  t.false(buffer.drain(), "r0 and r1 written, the drop record refused");
  t.deepEqual(dest.written, ["r0", "r1"]);
  t.false(buffer.offer("r4"), "waits for the retry of the drop record");
  dest.refuseDropRecords = false;
  clock.now += 10_000;
  buffer.offer("r5");
  t.deepEqual(dest.written, ["r0", "r1", "r4", "r5", "dropped 2"]);
  t.deepEqual(dest.drops.map((d) => d.count), [2, 2], "asked twice, both times for both drops");
  t.deepEqual(buffer.stats(), { buffered: 0, dropped: 2, highWater: 2 });
});

/** When `offer()` tries the destination: the clock times of its attempts at the record `r0`. */
const retriesOf = (dest: Destination, line = "r0"): number[] => dest.attempts.filter((a) => a.line === line).map((a) => a.at - 1_000_000);

test("retry timing (injected clock): nothing is tried before the retry is due; the delay grows (10 s, 10 s, 20 s, 40 s) up to maxDelayMs, and starts again from initialDelayMs after a success", (t) => {
  const { buffer, dest, clock } = setup(t, { capacity: 1000 });
  dest.up = false;
  buffer.offer("r0");
  // Probe just before and at each moment a retry could be due: a record offered before it is
  // only queued, one offered at it makes the buffer try the destination again.
  let probes = 0;
  const probeAt = (ms: number): void => {
    clock.now = 1_000_000 + ms;
    buffer.offer(`p${probes++}`);
  };
  for (const due of [10_000, 20_000, 40_000, 80_000, 120_000, 160_000]) {
    probeAt(due - 1);
    probeAt(due);
  }
  // The first failure waits initialDelayMs, the first retry's failure too; then the delay
  // doubles and stays at maxDelayMs (40 s).
  t.deepEqual(retriesOf(dest), [0, 10_000, 20_000, 40_000, 80_000, 120_000, 160_000]);
  t.deepEqual(dest.attempts.map((a) => a.line).filter((l) => l !== "r0"), [], "only the oldest record is tried while it fails");
  // Recovery: everything is written in order; the next failure waits initialDelayMs again.
  dest.up = true;
  probeAt(200_000);
  t.is(buffer.size, 0);
  t.deepEqual(dest.written, ["r0", ...Array.from({ length: probes }, (_, i) => `p${i}`)]);
  dest.up = false;
  probeAt(200_001);
  const failedAt = retriesOf(dest, `p${probes - 1}`);
  probeAt(210_000);
  t.deepEqual(retriesOf(dest, `p${probes - 2}`), failedAt, "not retried 9999 ms later");
  probeAt(210_001);
  t.deepEqual(retriesOf(dest, `p${probes - 3}`), [200_001, 210_001], "retried initialDelayMs later");
});

/** A buffer on the real clock and timers whose destination refuses the first `failures` attempts. */
function realTimed(t: ExecutionContext, failures: number, options: Partial<RetryBufferOptions> = {}): { buffer: RetryBuffer; attempts: number[]; written: string[] } {
  const attempts: number[] = [];
  const written: string[] = [];
  const buffer = new RetryBuffer({
    capacity: 10,
    initialDelayMs: 20,
    maxDelayMs: 40,
    write: (line) => {
      attempts.push(performance.now());
      if (attempts.length <= failures) return false;
      written.push(line);
      return true;
    },
    dropRecord: (report) => `dropped ${report.count}`,
    ...options,
  });
  t.teardown(() => buffer.close());
  return { buffer, attempts, written };
}

test("a failed record is retried by the buffer's own timer, without another offer (real timers)", async (t) => {
  const { buffer, attempts, written } = realTimed(t, 2);
  t.false(buffer.offer("r0"));
  t.true(await waitFor(() => written.length === 1, 5000), `${attempts.length} attempts`);
  t.deepEqual(written, ["r0"]);
  t.is(attempts.length, 3);
  // Each retry waited its delay (20 ms, then 20 ms; a timer may fire a little early by rounding).
  t.true((attempts[1] as number) - (attempts[0] as number) >= 15, JSON.stringify(attempts));
  t.true((attempts[2] as number) - (attempts[1] as number) >= 15, JSON.stringify(attempts));
});

test("close() returns the records still waiting, in order, and stops retrying (real timers)", async (t) => {
  const { buffer, attempts } = realTimed(t, 1000, { initialDelayMs: 50 });
  buffer.offer("r0");
  buffer.offer("r1");
  t.deepEqual(buffer.close(), ["r0", "r1"]);
  t.is(buffer.size, 0);
  const tried = attempts.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(attempts.length, tried, "no retry after close()");
});

test("handOver() and inheritDrops(): a successor (a reload) gets the waiting records in order and states the predecessor's drops in its own drop record", (t) => {
  const old = setup(t, { capacity: 2 });
  old.dest.up = false;
  for (let i = 0; i < 5; i++) {
    old.buffer.offer(`r${i}`);
    old.clock.now += 1000;
  }
  const { lines, drops } = old.buffer.handOver();
  t.deepEqual(lines, ["r0", "r1"]);
  t.deepEqual(drops, { count: 3, from: 1_002_000, to: 1_004_000 });
  t.is(old.buffer.size, 0);
  t.is(old.buffer.stats().dropped, 3, "the predecessor's counter stays");
  // The successor takes the records first, then queues and drops its own (n1, after the
  // predecessor's): one drop record for all, from the earliest drop to the latest.
  const next = setup(t, { capacity: 3 });
  next.dest.up = false;
  next.clock.now = 1_005_000;
  for (const line of lines) next.buffer.offer(line);
  next.buffer.offer("n0");
  next.buffer.offer("n1");
  next.buffer.inheritDrops(drops as DropReport);
  t.is(next.buffer.stats().dropped, 4, "the successor counts the inherited drops too");
  next.dest.up = true;
  t.true(next.buffer.drain());
  t.deepEqual(next.dest.written, ["r0", "r1", "n0", "dropped 4"]);
  t.deepEqual(next.dest.drops, [{ count: 4, from: 1_002_000, to: 1_005_000 }]);
});

test("batched: records always queue and are written together when maxBytes of them wait (in offer) or after maxDelayMs; a partial batch keeps the rest in order for the retry", async (t) => {
  const batches: string[][] = [];
  let accept = Infinity;
  const { buffer, dest, clock } = setup(t, {
    batch: { maxDelayMs: 30, maxBytes: 10 },
    writeMany: (lines, start, end) => {
      const n = Math.min(end - start, accept);
      batches.push(lines.slice(start, start + n));
      return n;
    },
  });
  t.false(buffer.offer("aaaa"));
  t.false(buffer.offer("bbbb"));
  t.deepEqual(batches, [], "8 characters wait: below maxBytes");
  t.false(buffer.offer("cc"));
  t.deepEqual(batches, [["aaaa", "bbbb", "cc"]], "10 characters: written at once, by offer()");
  // Below maxBytes: the timer writes them after maxDelayMs.
  buffer.offer("dd");
  t.true(await waitFor(() => batches.length === 2, 5000));
  t.deepEqual(batches[1], ["dd"]);
  // The destination takes only one of three: the other two wait, in order, for the retry.
  accept = 1;
  buffer.offer("eeee");
  buffer.offer("ffff");
  buffer.offer("gg");
  t.deepEqual(batches[2], ["eeee"]);
  t.is(buffer.size, 2);
  accept = Infinity;
  buffer.offer("hh");
  t.is(batches.length, 3, "no attempt before the retry is due");
  clock.now += 10_000;
  buffer.offer("ii");
  t.deepEqual(batches[3], ["ffff", "gg", "hh", "ii"]);
  t.is(buffer.size, 0);
  t.deepEqual(dest.written, [], "write() is not used for records in batched mode");
});

test("property: whatever the outages, clock steps and capacity, every record is written at most once, in the order offered, and written + dropped = offered", (t) => {
  type Step = { kind: "offer" } | { kind: "toggle" } | { kind: "tick"; ms: number } | { kind: "drain" };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: fc.constant({ kind: "offer" } as const) },
    fc.constant({ kind: "toggle" } as const),
    fc.integer({ min: 0, max: 50_000 }).map((ms) => ({ kind: "tick", ms }) as const),
    fc.constant({ kind: "drain" } as const),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 8 }), fc.array(step, { maxLength: 80 }), (capacity, steps) => {
      const { buffer, dest, clock } = setup(t, { capacity });
      let offered = 0;
      for (const s of steps) {
        if (s.kind === "offer") buffer.offer(`r${offered++}`);
        else if (s.kind === "toggle") dest.up = !dest.up;
        else if (s.kind === "tick") clock.now += s.ms;
        else buffer.drain();
      }
      dest.up = true;
      const drained = buffer.drain();
      buffer.close();
      const records = dest.written.filter((l) => l.startsWith("r")).map((l) => Number(l.slice(1)));
      const stated = dest.written.filter((l) => l.startsWith("dropped")).reduce((n, l) => n + Number(l.split(" ")[1]), 0);
      return (
        drained &&
        records.every((n, i) => i === 0 || n > (records[i - 1] as number)) &&
        records.length + buffer.stats().dropped === offered &&
        stated === buffer.stats().dropped &&
        buffer.stats().highWater <= capacity
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("a record offered from inside the buffer's own write (a status listener that logs) is queued behind, written once, and never makes the running write or drop record happen twice", (t) => {
  let buffer!: RetryBuffer;
  const written: string[] = [];
  let up = true;
  let reentered = 0;
  buffer = new RetryBuffer({
    capacity: 3,
    initialDelayMs: 10_000,
    write: (line) => {
      // What a listener does on WRITE_FAILED / WRITE_RECOVERED / RECORDS_DROPPED: it logs.
      if (!line.startsWith("note") && reentered < 6) buffer.offer(`note${reentered++} after ${line}`);
      if (!up) return false;
      written.push(line);
      return true;
    },
    dropRecord: (report) => {
      buffer.offer(`note-drop${report.count}`);
      return `dropped ${report.count}`;
    },
  });
  t.teardown(() => buffer.close());
  // A failing write: the record offered goes before the listener's.
  up = false;
  t.false(buffer.offer("r0"));
  t.is(buffer.size, 2);
  t.false(buffer.offer("r1")); // queued, capacity 3
  t.false(buffer.offer("r2")); // dropped
  t.is(buffer.stats().dropped, 1);
  up = true;
  t.true(buffer.drain());
  // In order, each once: r0 before what the listener logged about it; the listener's record made
  // while r0 was retried found the queue full (capacity 3) and is counted with r2 in the one drop
  // record, and what it logged on being told of the drops comes after that record.
  t.deepEqual(written, ["r0", "note0 after r0", "r1", "note2 after r1", "dropped 2", "note-drop2", "note3 after dropped 2"]);
  t.is(buffer.size, 0, "nothing left waiting without a retry");
  t.is(buffer.dropsToState, 0);
});
