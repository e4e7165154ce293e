import test from "ava";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseAuditLine } from "../src/index.js";
import { P, readLines, tempDir } from "./lib/helpers.js";

const child = fileURLToPath(new URL("./programs/crash-child.js", import.meta.url));
const COUNT = 20_000;

for (const how of ["sigkill", "exit", "throw", "sigterm", "sigint", "return"] as const) {
  test(`every record logged before ${how} is on disk, whole and in order, across rotations`, (t) => {
    const dir = tempDir(t);
    const props = join(dir, "audit.properties");
    writeFileSync(props, `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=logs/audit.log\n${P}file.size=256KB\n${P}file.count=50\n`);
    const result = spawnSync(process.execPath, [child, props, String(COUNT), how], { encoding: "utf8", timeout: 60_000 });
    if (how === "sigkill") t.is(result.signal, "SIGKILL");
    if (how === "sigterm") t.is(result.signal, "SIGTERM");
    if (how === "sigint") t.is(result.signal, "SIGINT");
    if (how === "throw") t.is(result.status, 1);
    if (how === "exit" || how === "return") t.is(result.status, 0, result.stderr);
    const logs = join(dir, "logs");
    const names = readdirSync(logs)
      .filter((n) => n.startsWith("audit.log"))
      .sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
    t.true(names.length > 3, `rotated into ${names.length} files`);
    const seqs = names.flatMap((n) => readLines(join(logs, n))).map((line) => {
      const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
      return Number(parsed.attributes[0]?.[1]);
    });
    t.is(seqs.length, COUNT);
    t.deepEqual(seqs, Array.from({ length: COUNT }, (_, i) => i));
  });
}

for (const how of ["exit", "throw", "sigterm", "sigint", "return"] as const) {
  test(`batched durability: every record logged before ${how} is on disk (the batch is written on the way out)`, (t) => {
    const dir = tempDir(t);
    const props = join(dir, "audit.properties");
    writeFileSync(
      props,
      `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=logs/audit.log\n${P}file.size=256KB\n${P}file.count=50\n${P}file.durability=batched\n${P}file.durability.maxDelayMs=1000\n`,
    );
    const result = spawnSync(process.execPath, [child, props, String(COUNT), how], { encoding: "utf8", timeout: 60_000 });
    if (how === "sigterm") t.is(result.signal, "SIGTERM", "the process still ends by the signal");
    if (how === "sigint") t.is(result.signal, "SIGINT", "the process still ends by the signal");
    if (how === "throw") t.is(result.status, 1);
    const logs = join(dir, "logs");
    const names = readdirSync(logs)
      .filter((n) => /^audit\.log(\.\d+)?$/.test(n))
      .sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
    const seqs = names.flatMap((n) => readLines(join(logs, n))).map((line) => Number(parseAuditLine(line, { delimiter: "|", includeAttributeNames: true }).attributes[0]?.[1]));
    t.deepEqual(seqs, Array.from({ length: COUNT }, (_, i) => i));
    for (const n of names) t.true(statSync(join(logs, n)).size <= 256 * 1024, n);
  });
}

test("batched durability with a host's own SIGTERM handler: the host decides, the batch is still written", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(props, `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=audit.log\n${P}file.durability=batched\n${P}file.durability.maxDelayMs=1000\n`);
  const result = spawnSync(process.execPath, [child, props, "1000", "sigterm", "host-handler"], { encoding: "utf8", timeout: 60_000 });
  t.is(result.status, 0, "the host's handler ended the process");
  t.is(readLines(join(dir, "audit.log")).length, 1000);
});


test("a host that handles SIGHUP itself and goes on: the signal does not switch the service to exit-time writing (batched records still wait for their batch)", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(props, `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=audit.log\n${P}file.durability=batched\n${P}file.durability.maxDelayMs=1000\n`);
  const program = fileURLToPath(new URL("./programs/signal-host-child.js", import.meta.url));
  const result = spawnSync(process.execPath, [program, props, join(dir, "audit.log")], { encoding: "utf8", timeout: 60_000 });
  t.is(result.status, 0, result.stderr);
  const figures = JSON.parse(result.stdout.trim()) as { reloads: number; before: number; mid: number; after: number; flushed: number };
  t.is(figures.reloads, 1, "the host's handler ran");
  t.is(figures.before, 0, "batched: the records wait for their batch");
  t.is(figures.after, figures.mid, "after the host's SIGHUP, the records still wait for their batch (not written one by one as at exit)");
  t.is(figures.flushed, 20);
});
