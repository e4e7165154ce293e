import test from "ava";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeliveryEvents } from "../src/targets/delivery.js";
import { FileDelivery } from "../src/targets/file-delivery.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

// A file target writes the records of one run of the targets' work (what log() put off) together,
// one system call per file (issue 15). These tests attack what that must not change: a record is
// never split across files, files stay within their size, order holds, and a file that cannot be
// written keeps every record for later, in order.

/** The `seq` attributes of the JSON lines of a file target, oldest archive first. */
function seqsOf(dir: string, base: string): number[] {
  const archives = readdirSync(dir)
    .filter((n) => n.startsWith(base + "."))
    .sort((a, b) => Number(b.slice(base.length + 1)) - Number(a.slice(base.length + 1)));
  return [...archives, base]
    .flatMap((n) => readFileSync(join(dir, n), "utf8").split("\n"))
    .filter((l) => l !== "")
    .map((l) => Number((JSON.parse(l) as { attributes: { seq: string } }).attributes.seq));
}

test("a burst of records in one synchronous stretch rotates the file target as one record at a time would: each file within its size, whole lines, in order", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      [P + "target.json.type"]: "file",
      [P + "target.json.path"]: join(dir, "json", "audit.json"),
      [P + "target.json.size"]: "1KB",
      [P + "target.json.count"]: "200",
    },
    watch: false,
  });
  // One synchronous stretch: the records reach the target together, after it.
  for (let seq = 0; seq < 300; seq++) audit.log("ox.login", { seq, pad: "é".repeat(seq % 7) });
  await audit.flush();
  const folder = join(dir, "json");
  const names = readdirSync(folder);
  t.true(names.length > 20, names.join(" "));
  for (const name of names) {
    const bytes = readFileSync(join(folder, name));
    t.true(bytes.length <= 1024, `${name}: ${bytes.length} bytes`);
    t.is(bytes[bytes.length - 1], 0x0a, `${name} ends with a whole line`);
    t.is(statSync(join(folder, name)).size, bytes.length);
  }
  t.deepEqual(seqsOf(folder, "audit.json"), [...Array(300).keys()]);
  const stats = audit.stats().targets?.find((s) => s.name === "json");
  t.like(stats, { sent: 300, buffered: 0, dropped: 0 });
});

test("a file target that cannot be written keeps the records of a burst, and of the next bursts behind them, and writes them in order once it can", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  // The target's folder is a file: opening it fails (ENOTDIR) until it is removed.
  writeFileSync(join(dir, "json"), "in the way\n");
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      [P + "target.json.type"]: "file",
      [P + "target.json.path"]: join(dir, "json", "audit.json"),
    },
    watch: false,
  });
  for (let seq = 0; seq < 10; seq++) audit.log("ox.login", { seq });
  await audit.flush();
  for (let seq = 10; seq < 25; seq++) audit.log("ox.login", { seq });
  await audit.flush();
  t.like(audit.stats().targets?.find((s) => s.name === "json"), { sent: 0, buffered: 25, dropped: 0 });
  rmSync(join(dir, "json"));
  for (let seq = 25; seq < 30; seq++) audit.log("ox.login", { seq });
  t.true(await waitFor(() => audit.stats().targets?.find((s) => s.name === "json")?.sent === 30, 10_000));
  t.deepEqual(seqsOf(join(dir, "json"), "audit.json"), [...Array(30).keys()]);
});

test("a held burst reaching a file that cannot be written is one failed write, as one record offered alone is (errors, failure reports), and waits for the retry in order", async (t) => {
  /** A file target's delivery into a folder that is a file (ENOTDIR), with its failure reports counted. */
  const failing = (): { delivery: FileDelivery; downs: () => number; dir: string } => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "json"), "in the way\n");
    let downs = 0;
    const events: DeliveryEvents = {
      down: () => downs++,
      up: () => undefined,
      dropRecord: () => Buffer.from("dropped\n"),
      rejected: () => undefined,
      fault: () => undefined,
    };
    const delivery = new FileDelivery({ path: join(dir, "json", "audit.json"), maxSize: 1 << 20, maxArchives: 2, compress: false, maxAgeDays: 0 }, 100, events);
    t.teardown(() => void delivery.close());
    return { delivery, downs: () => downs, dir };
  };
  // One record offered alone: what one failed write costs.
  const alone = failing();
  const errors0 = alone.delivery.stats().errors;
  const downs0 = alone.downs();
  alone.delivery.offer(Buffer.from("r0\n"));
  const errorsPerWrite = alone.delivery.stats().errors - errors0;
  const downsPerWrite = alone.downs() - downs0;
  t.true(errorsPerWrite >= 1);
  // Ten records held and released together: the same single failed write, not a second try at once.
  const burst = failing();
  const errors1 = burst.delivery.stats().errors;
  const downs1 = burst.downs();
  burst.delivery.hold();
  for (let i = 0; i < 10; i++) burst.delivery.offer(Buffer.from(`r${i}\n`));
  burst.delivery.releaseHold();
  t.is(burst.delivery.stats().errors - errors1, errorsPerWrite);
  t.is(burst.downs() - downs1, downsPerWrite);
  t.like(burst.delivery.stats(), { buffered: 10, sent: 0, dropped: 0, connected: false });
  // Records held (before the release) count as waiting, in stats() as in buffered().
  burst.delivery.hold();
  burst.delivery.offer(Buffer.from("r10\n"));
  t.like(burst.delivery.stats(), { buffered: 11, sent: 0 });
  t.is(burst.delivery.buffered(), 11);
  burst.delivery.releaseHold();
  t.like(burst.delivery.stats(), { buffered: 11, sent: 0 });
  // Once the file can be written, the retry writes them all, in order.
  rmSync(join(burst.dir, "json"));
  t.true(await waitFor(() => burst.delivery.stats().sent === 11, 10_000));
  t.is(readFileSync(join(burst.dir, "json", "audit.json"), "utf8"), [...Array(11).keys()].map((i) => `r${i}\n`).join(""));
});

test("while a held burst is being written and fails, it still counts as waiting, and a record a failure listener logs then goes behind it", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "json"), "in the way\n");
  const seen: number[] = [];
  let delivery: FileDelivery | undefined;
  let logged = false;
  const events: DeliveryEvents = {
    down: () => {
      const d = delivery as FileDelivery;
      seen.push(d.stats().buffered, d.buffered());
      if (!logged) {
        logged = true;
        d.offer(Buffer.from("from the listener\n"));
      }
    },
    up: () => undefined,
    dropRecord: () => Buffer.from("dropped\n"),
    rejected: () => undefined,
    fault: () => undefined,
  };
  delivery = new FileDelivery({ path: join(dir, "json", "audit.json"), maxSize: 1 << 20, maxArchives: 2, compress: false, maxAgeDays: 0 }, 100, events);
  t.teardown(() => void delivery?.close());
  const base = seen.length; // the failed open of the constructor
  delivery.hold();
  for (let i = 0; i < 10; i++) delivery.offer(Buffer.from(`r${i}\n`));
  delivery.releaseHold();
  t.deepEqual(seen.slice(base, base + 2), [10, 10], "the ten records of the burst wait while their write fails");
  t.like(delivery.stats(), { buffered: 11, sent: 0 });
  rmSync(join(dir, "json"));
  t.true(await waitFor(() => delivery?.stats().sent === 11, 10_000));
  t.is(readFileSync(join(dir, "json", "audit.json"), "utf8"), [...Array(10).keys()].map((i) => `r${i}\n`).join("") + "from the listener\n");
});
