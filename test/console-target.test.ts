/**
 * The console target as a container meets it: a child process whose stdout (or stderr) is a
 * pipe logs through `target.<name>.type=console`, and this process reads what arrives, exactly
 * and in order, in every format; a reader that stops reading while the pipe fills (a real FIFO
 * behind `sh`, non-blocking as Node makes it); a reader that is gone (EPIPE); the configuration
 * errors. Every child runs under a time limit.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/index.js";
import { captureStatus, P, tempDir } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

const CHILD = join(process.cwd(), "dist/test/programs/console-child.js");
/** O_NONBLOCK in the octal flags of /proc/self/fdinfo. */
const O_NONBLOCK = 0o4000;

interface ChildResult {
  readonly threw: string | undefined;
  readonly stats: Array<{ sent: number; dropped: number; buffered: number; errors: number; connected: boolean; type: string; destination: string }>;
  readonly codes: string[];
  readonly fds: Record<"stdout" | "stderr", { flags: string; kind: string }>;
  readonly loggedMs: number;
  readonly slowest: number;
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: ChildResult;
}

/** Writes the properties of one console target `c` (and no file) into a fresh folder. */
function properties(t: import("ava").ExecutionContext, target: Record<string, string>): { dir: string; file: string } {
  const dir = tempDir(t);
  const file = join(dir, "slf4j-auditlog.properties");
  const lines = [`${P}enabled=true`, `${P}file.location=`, `${P}target.c.type=console`, `${P}target.c.hostname=h1`, ...Object.entries(target).map(([k, v]) => `${P}target.c.${k}=${v}`)];
  writeFileSync(file, lines.join("\n") + "\n");
  return { dir, file };
}

/**
 * Runs `command` (the child, directly or behind `sh`), reading its stdout and stderr whole;
 * `started` sees the process first (to close a pipe, say). Killed after `limitMs`.
 */
function run(command: string, args: readonly string[], resultFile: string, limitMs: number, started?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stdout.on("error", () => undefined);
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not end within ${limitMs} ms; stderr: ${Buffer.concat(err).toString("utf8")}`));
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let result: ChildResult;
      try {
        result = JSON.parse(readFileSync(resultFile, "utf8")) as ChildResult;
      } catch (error) {
        reject(new Error(`no result from the child (exit ${code ?? signal}): ${String(error)}; stderr: ${Buffer.concat(err).toString("utf8")}`));
        return;
      }
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), result });
    });
    started?.(child);
  });
}

/** A shell reader that reads nothing until the child has logged everything, then waits `ms` more. */
function sleepyReader(resultFile: string, ms: number): string {
  return `{ while [ ! -e "${resultFile}.logged" ]; do sleep 0.05; done; sleep ${ms / 1000}; cat; }`;
}

/** The lines of a stream's text, which must end with a newline (no record cut off). */
function lines(t: import("ava").ExecutionContext, text: string): string[] {
  t.true(text.endsWith("\n"), "the output ends with a whole line");
  return text.slice(0, -1).split("\n");
}

const N = 300;
const FORMATS: ReadonlyArray<readonly [string, (line: string, i: number) => boolean]> = [
  ["json", (line, i) => {
    const record = JSON.parse(line) as { event: string; attributes: { seq: string } };
    return record.event === "ox.login" && record.attributes.seq === String(i);
  }],
  ["ecs", (line, i) => {
    const record = JSON.parse(line) as { event: { action: string }; host: { hostname: string }; slf4ts: { audit: { attributes: { seq: string } } } };
    return record.event.action === "ox.login" && record.host.hostname === "h1" && record.slf4ts.audit.attributes.seq === String(i);
  }],
  ["gelf", (line, i) => {
    const record = JSON.parse(line) as { version: string; host: string; _event: string; _seq: string; short_message: string };
    return record.version === "1.1" && record.host === "h1" && record._event === "ox.login" && record._seq === String(i) && record.short_message === "ox.login";
  }],
  ["plain", (line, i) => line === `ox.login, seq=${i}`],
  ["rfc5424", (line, i) => new RegExp(`^<110>1 \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z h1 slf4ts \\d+ ox\\.login \\[audit@32473 seq="${i}"\\] ox\\.login seq=${i}$`).test(line)],
  ["rfc3164", (line, i) => new RegExp(`^<110>[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d h1 slf4ts\\[\\d+\\]: ox\\.login seq=${i}$`).test(line)],
];

for (const [format, matches] of FORMATS) {
  test(`format=${format}: a child's stdout carries every record, one a line, in order, and nothing else`, async (t) => {
    const { dir, file } = properties(t, { format });
    const resultFile = join(dir, "result.json");
    const { code, stdout, stderr, result } = await run(process.execPath, [CHILD, file, String(N), resultFile, "plain"], resultFile, 30_000);
    t.is(code, 0);
    t.is(result.threw, undefined);
    // Standard mode with the host's logging off: the records do reach the target, so that is an
    // INFO on the status channel, not a warning on stderr that "records are not written".
    t.true(result.codes.includes("LEVEL_DISABLED"));
    t.is(stderr, "");
    const got = lines(t, stdout);
    t.is(got.length, N);
    const wrong = got.findIndex((line, i) => !matches(line, i));
    t.is(wrong, -1, `line ${wrong}: ${got[wrong] ?? ""}`);
    t.like(result.stats[0], { type: "console", destination: "stdout", sent: N, dropped: 0, buffered: 0, errors: 0, connected: true });
  });
}

test("a value with line breaks stays inside its record's line in every format (RFC 5424 SD values escaped as \\n, \\r)", async (t) => {
  for (const [format] of FORMATS) {
    const { dir, file } = properties(t, { format });
    const resultFile = join(dir, "result.json");
    const { code, stdout } = await run(process.execPath, [CHILD, file, "3", resultFile, "breaks"], resultFile, 30_000);
    t.is(code, 0, format);
    const got = lines(t, stdout);
    t.is(got.length, 3, `${format}: one line a record: ${stdout}`);
    for (const line of got) {
      if (format === "rfc5424") t.true(line.includes(String.raw`note="a\nb\r\nc"]`), line);
      if (format === "json" || format === "ecs" || format === "gelf") t.notThrows(() => JSON.parse(line), format);
    }
  }
});

test("stream=stderr: the records go to stderr, stdout stays empty", async (t) => {
  const { dir, file } = properties(t, { stream: "stderr", format: "json" });
  const resultFile = join(dir, "result.json");
  const { code, stdout, stderr, result } = await run(process.execPath, [CHILD, file, String(N), resultFile, "plain"], resultFile, 30_000);
  t.is(code, 0);
  t.is(stdout, "");
  const seqs = lines(t, stderr).map((line) => (JSON.parse(line) as { attributes: { seq: string } }).attributes.seq);
  t.deepEqual(seqs, [...Array(N).keys()].map(String));
  t.like(result.stats[0], { destination: "stderr", sent: N, dropped: 0 });
});

test("a reader that stops reading while the FIFO fills: every record arrives once, in order, and log() waits at most blockMs", async (t) => {
  // 3000 records of about 330 bytes (a megabyte) into a 64 KiB pipe whose reader reads nothing
  // until the child has logged them all: log() cannot have waited for it.
  const count = 3000;
  const { dir, file } = properties(t, { format: "json", blockMs: "100" });
  const resultFile = join(dir, "result.json");
  const script = `"${process.execPath}" "${CHILD}" "${file}" ${count} "${resultFile}" plain 250 | ${sleepyReader(resultFile, 500)}`;
  const { code, stdout, result } = await run("sh", ["-c", script], resultFile, 40_000);
  t.is(code, 0);
  t.is(result.threw, undefined);
  // A real pipe, made non-blocking (by Node's stdout, which the target opens), so EAGAIN was met.
  t.is(result.fds.stdout.kind, "fifo");
  t.true((parseInt(result.fds.stdout.flags, 8) & O_NONBLOCK) !== 0, `flags ${result.fds.stdout.flags}`);
  const seqs = lines(t, stdout).map((line) => Number((JSON.parse(line) as { attributes: { seq: string } }).attributes.seq));
  t.deepEqual(seqs, [...Array(count).keys()]);
  t.like(result.stats[0], { sent: count, dropped: 0, buffered: 0, connected: true });
  // The stall was reported once, and the recovery; one log() waited at most blockMs (plus slack
  // for a loaded machine), and only once: the loop ended while the reader slept.
  t.is(result.codes.filter((c) => c === "TARGET_FAILED").length, 1);
  t.true(result.codes.includes("TARGET_RECOVERED"));
  t.true(result.slowest < 1000, `slowest log() took ${result.slowest} ms`);
});

test("process.exit() while records wait in memory: the exit hook writes them (waiting up to blockMs), none lost", async (t) => {
  const count = 2000;
  const { dir, file } = properties(t, { format: "json", blockMs: "3000" });
  const resultFile = join(dir, "result.json");
  const script = `"${process.execPath}" "${CHILD}" "${file}" ${count} "${resultFile}" exit 250 | ${sleepyReader(resultFile, 300)}`;
  const { code, stdout, stderr, result } = await run("sh", ["-c", script], resultFile, 40_000);
  t.is(code, 0);
  // When the child exited, records were still waiting; they arrived all the same.
  t.true((result.stats[0]?.buffered ?? 0) > 0);
  const seqs = lines(t, stdout).map((line) => Number((JSON.parse(line) as { attributes: { seq: string } }).attributes.seq));
  t.deepEqual(seqs, [...Array(count).keys()]);
  t.false(stderr.includes("RECORDS_DROPPED"), stderr);
});

test("records past buffer.size while the reader sleeps are dropped, counted and said in the stream; the rest arrive in order", async (t) => {
  const count = 3000;
  const { dir, file } = properties(t, { format: "json", blockMs: "50", "buffer.size": "100" });
  const resultFile = join(dir, "result.json");
  const script = `"${process.execPath}" "${CHILD}" "${file}" ${count} "${resultFile}" plain 250 | ${sleepyReader(resultFile, 200)}`;
  const { code, stdout, result } = await run("sh", ["-c", script], resultFile, 40_000);
  t.is(code, 0);
  t.is(result.threw, undefined);
  const records = lines(t, stdout).map((line) => JSON.parse(line) as { event: string; attributes: { seq?: string; dropped?: string } });
  const seqs = records.filter((r) => r.event === "ox.login").map((r) => Number(r.attributes.seq));
  const dropRecords = records.filter((r) => r.event === "slf4ts.audit.dropped");
  const stats = result.stats[0] as ChildResult["stats"][number];
  t.true(stats.dropped > 0);
  t.is(seqs.length + stats.dropped, count);
  // In order, none twice; the records that say how many were dropped add up to the count.
  t.true(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)));
  t.is(dropRecords.reduce((sum, r) => sum + Number(r.attributes.dropped), 0), stats.dropped);
  t.true(result.codes.includes("RECORDS_DROPPED"));
});

test("the host's own console.log lines and the records never cut into each other, even while the FIFO is full", async (t) => {
  const count = 2000;
  const { dir, file } = properties(t, { format: "json", blockMs: "100" });
  const resultFile = join(dir, "result.json");
  const script = `"${process.execPath}" "${CHILD}" "${file}" ${count} "${resultFile}" mix 250 | ${sleepyReader(resultFile, 200)}`;
  const { code, stdout, result } = await run("sh", ["-c", script], resultFile, 40_000);
  t.is(code, 0);
  t.is(result.threw, undefined);
  const app: number[] = [];
  const seqs: number[] = [];
  for (const line of lines(t, stdout)) {
    if (line.startsWith("app ")) app.push(Number(line.slice(4)));
    else seqs.push(Number((JSON.parse(line) as { attributes: { seq: string } }).attributes.seq));
  }
  t.deepEqual(app, [...Array(count).keys()]);
  t.deepEqual(seqs, [...Array(count).keys()]);
});

test("EPIPE: the reader of stdout is gone; log() does not throw, the child exits cleanly, drops are counted and reported once", async (t) => {
  const { dir, file } = properties(t, { format: "json" });
  const resultFile = join(dir, "result.json");
  // "mix": the host's own console.log meets the same EPIPE afterwards, and must not crash it.
  const { code, signal, stderr, result } = await run(process.execPath, [CHILD, file, "100", resultFile, "wait,mix"], resultFile, 30_000, (child) => {
    child.stdout?.destroy();
    setTimeout(() => child.stdin?.write("go\n"), 200);
  });
  t.is(signal, null);
  t.is(code, 0, stderr);
  t.is(result.threw, undefined);
  t.like(result.stats[0], { sent: 0, dropped: 100, connected: false });
  t.is(result.codes.filter((c) => c === "TARGET_FAILED").length, 1);
  t.regex(stderr, /\[TARGET_FAILED\] audit target "c" \(console stdout\) cannot be written \(EPIPE: .*\): the reader of the pipe is gone; records for it are dropped and counted/);
});

test("EPIPE on stderr: the status line that reports it meets the same closed stderr, and still nothing throws or crashes", async (t) => {
  const { dir, file } = properties(t, { format: "json", stream: "stderr" });
  const resultFile = join(dir, "result.json");
  const { code, signal, stdout, result } = await run(process.execPath, [CHILD, file, "50", resultFile, "wait,mix"], resultFile, 30_000, (child) => {
    child.stderr?.destroy();
    setTimeout(() => child.stdin?.write("go\n"), 200);
  });
  t.is(signal, null);
  t.is(code, 0);
  t.is(result.threw, undefined);
  t.like(result.stats[0], { destination: "stderr", sent: 0, dropped: 50 });
  t.true(result.codes.includes("TARGET_FAILED"));
  // The host's own stdout is untouched.
  t.deepEqual(lines(t, stdout), [...Array(50).keys()].map((i) => `app ${i}`));
});

test("bad console options are ConfigErrors naming key, value, line and what was expected", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const file = join(dir, "slf4j-auditlog.properties");
  writeFileSync(
    file,
    [
      `${P}enabled=true`,
      `${P}target.c.type=console`,
      `${P}target.c.stream=stdin`,
      `${P}target.c.blockMs=-1`,
      `${P}target.c.compress=gzip`,
      `${P}target.c.spool=spool`,
      `${P}target.d.type=console`,
      `${P}target.d.format=avro`,
      "",
    ].join("\n"),
  );
  const audit = testService(t);
  const error = (await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError })) as ConfigError;
  const text = error.message;
  t.true(text.includes(`line 3: ${P}target.c.stream = "stdin": expected stdout or stderr`), text);
  t.true(text.includes(`line 4: ${P}target.c.blockMs = "-1": expected a whole number of milliseconds from 0 to 60000`), text);
  t.true(text.includes(`line 5: ${P}target.c.compress = "gzip": a console target writes uncompressed lines; expected none`), text);
  t.true(text.includes(`line 6: ${P}target.c.spool = "spool": a console target needs no spool`), text);
  t.true(text.includes(`line 8: ${P}target.d.format = "avro": expected json, ecs, gelf, plain, rfc5424, rfc3164 for a console target`), text);
  t.true(status.some((e) => e.code === "CONFIG_INVALID"));
});

test("partial writes and EAGAIN at random points: the bytes arrive exactly, in order, and one offer() waits at most blockMs (50 seeded runs)", async (t) => {
  const { ConsoleDelivery } = await import("../src/targets/console-delivery.js");
  const { seededRandom } = await import("./lib/prng.js");
  let stalls = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const random = seededRandom(seed);
    // A pipe of 4 KiB whose reader takes a random share at random times, or sleeps for a while.
    let pipe = 0;
    const received: Buffer[] = [];
    let reading = true;
    const read = (): void => {
      if (!reading || pipe === 0) return;
      pipe -= random.int(pipe + 1);
    };
    const capacity = 4096;
    const output = {
      write(bytes: Buffer, offset: number, length: number): number {
        if (random.chance(0.05)) reading = !reading;
        read();
        const room = capacity - pipe;
        if (room === 0) throw Object.assign(new Error("EAGAIN: resource temporarily unavailable, write"), { code: "EAGAIN" });
        const n = Math.min(length, room, 1 + random.int(length));
        received.push(Buffer.from(bytes.subarray(offset, offset + n)));
        pipe += n;
        return n;
      },
      busy: () => false,
      gone: () => undefined,
    };
    let waited = 0;
    const sleep = (ms: number): void => {
      waited += ms;
      if (random.chance(0.2)) reading = !reading;
    };
    const events = { down: () => undefined, up: () => undefined, dropRecord: () => Buffer.from("dropped\n"), rejected: () => undefined, fault: () => undefined };
    const delivery = new ConsoleDelivery({ stream: "stdout", blockMs: 20 }, 100_000, events, output, sleep);
    const offered: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const record = Buffer.from(`{"seq":${i},"pad":"${"x".repeat(random.int(3000))}"}\n`);
      offered.push(record);
      waited = 0;
      t.notThrows(() => delivery.offer(record));
      t.true(waited <= 20, `seed ${seed}: one offer waited ${waited} ms`);
    }
    reading = true;
    const drained = setInterval(() => (pipe = 0), 1);
    await delivery.flush(5000);
    clearInterval(drained);
    t.true(Buffer.concat(received).equals(Buffer.concat(offered)), `seed ${seed}: the bytes differ`);
    t.like(delivery.stats(), { sent: 300, buffered: 0, dropped: 0 });
    stalls += delivery.stats().errors;
    delivery.close();
  }
  // The runs did meet the bound (and went on from the queue), not only short waits.
  t.true(stalls >= 10, `${stalls} stalls`);
});
