/**
 * `slf4ts-audit serve` over one large active file, as issue 14 asks ("a million records stay
 * responsive, in constant memory"): the newest-first page and the line detail read from the
 * file's end with the right line numbers; a newest-first export streams (shown without timing:
 * the file's first line is changed after the first bytes arrived, and the export ends with the
 * changed line); a follow stream starts at the end of a large file with the right line numbers,
 * and a client that reconnects with `Last-Event-ID` gets the records written while it was away,
 * each once, across rotations.
 */
import test from "ava";
import { appendFileSync, closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { get as httpGet, type ClientRequest, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";
import { writeLog } from "./lib/cli-fixture.js";
import { tempDir } from "./lib/helpers.js";
import { getJson, startServe } from "./lib/serve.js";

interface Row {
  file: string;
  line: number;
  event: string;
  attributes: Array<{ name: string | null; value: string | null }>;
}

const login = (row: Row): string | null | undefined => row.attributes.find((a) => a.name === "login")?.value;

/** A log of `n` records in one active file (`logs/audit.log`), in the logger's default format; its lines. */
function bigLog(dir: string, n: number, last = ""): string[] {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(`ox.login, login=user${i}, ip=192.0.2.${i % 250}, client=web`);
  const logs = join(dir, "logs");
  writeFileSync(join(logs, "audit.log"), lines.join("\n") + "\n" + last);
  return lines;
}

test("newest first over one large active file: the page holds the last records with their line numbers, the detail of each is its line", async (t) => {
  const dir = tempDir(t, "slf4ts-scale-");
  await writeLog(dir, {}, []);
  const lines = bigLog(dir, 200_000, "ox.login, login=cut-sh");
  const served = await startServe(t, ["logs"], dir);
  const page = (await getJson<{ records: Row[]; more: boolean; unreadableCount: number }>(served.url, "/api/search?limit=5")).body;
  t.deepEqual(
    page.records.map((r) => [r.line, login(r)]),
    [200_000, 199_999, 199_998, 199_997, 199_996].map((n) => [n, `user${n}`]),
  );
  t.true(page.more);
  // The last line, without a line break, is a record cut short (line 200001), not a match.
  t.is(page.unreadableCount, 1);
  const second = (await getJson<{ records: Row[] }>(served.url, "/api/search?limit=3&offset=5&attr=client%3Dweb")).body;
  t.deepEqual(second.records.map((r) => r.line), [199_995, 199_994, 199_993]);
  for (const n of [1, 99_999, 100_001, 200_000]) {
    const detail = (await getJson<{ text: string; line: number }>(served.url, `/api/line?file=logs%2Faudit.log&line=${n}`)).body;
    t.is(detail.text, lines[n - 1] as string, `line ${n}`);
  }
  t.is((await getJson<{ text: string }>(served.url, "/api/line?file=logs%2Faudit.log&line=200001")).body.text, "ox.login, login=cut-sh");
  t.is((await getJson(served.url, "/api/line?file=logs%2Faudit.log&line=200002")).status, 404);
});

test("a newest-first export streams from the file's end: the first line, changed after the first bytes arrived, comes out changed", async (t) => {
  const dir = tempDir(t, "slf4ts-scale-");
  await writeLog(dir, {}, []);
  const n = 200_000;
  bigLog(dir, n);
  const path = join(dir, "logs", "audit.log");
  const served = await startServe(t, ["logs"], dir);
  const request = httpGet(new URL("/api/export?format=jsonl", served.url));
  t.teardown(() => void request.destroy());
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.on("response", resolve);
    request.on("error", reject);
  });
  t.is(response.statusCode, 200);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    response.once("data", (chunk: Buffer) => {
      chunks.push(chunk);
      response.pause();
      resolve();
    });
  });
  const first = JSON.parse(Buffer.concat(chunks).toString().split("\n")[0] as string) as { line: number; attributes: Record<string, string> };
  t.is(first.line, n);
  // While the client reads nothing, the first line is rewritten in place (same length): an
  // export that had read the file before sending would still hold the old one.
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.from("ox.login, login=CHANGED"), 0, 23, 0);
  closeSync(fd);
  t.is(readFileSync(path, "utf8").slice(0, 23), "ox.login, login=CHANGED");
  response.on("data", (chunk: Buffer) => chunks.push(chunk));
  response.resume();
  await new Promise((resolve) => response.on("end", resolve));
  const records = Buffer.concat(chunks).toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { line: number; event: string; attributes: Record<string, string> });
  t.is(records.length, n);
  t.true(records.every((r, i) => r.line === n - i), "newest first, every line once");
  const last = records.at(-1);
  t.is(last?.line, 1);
  t.regex(JSON.stringify(last), /CHANGED/);
});

/** A server-sent events client over raw HTTP: the events with their ids, as EventSource reads them. */
interface Stream {
  readonly events: Array<{ id: string | undefined; event: string; data: unknown }>;
  readonly request: ClientRequest;
}

async function follow(base: string, path: string, lastEventId?: string): Promise<Stream> {
  const request = httpGet(new URL(path, base), { headers: lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId } });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.on("response", resolve);
    request.on("error", reject);
  });
  const events: Stream["events"] = [];
  let buffer = "";
  response.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ id, event, data: JSON.parse(data) });
    }
  });
  return { events, request };
}

const records = (stream: Stream): Row[] => stream.events.filter((e) => e.event === "record").map((e) => e.data as Row);

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

test("follow starts at the end of a large file (a last line still being written included) with the right line numbers", async (t) => {
  const dir = tempDir(t, "slf4ts-scale-");
  await writeLog(dir, {}, []);
  bigLog(dir, 100_000, "ox.login, login=half");
  const path = join(dir, "logs", "audit.log");
  const served = await startServe(t, ["logs"], dir);
  const stream = await follow(served.url, "/api/follow");
  t.teardown(() => void stream.request.destroy());
  await new Promise((r) => setTimeout(r, 400));
  appendFileSync(path, "-done, ip=192.0.2.1\nox.logout, login=next\n");
  await until(() => records(stream).length >= 2);
  const lines = readFileSync(path, "utf8").split("\n");
  t.deepEqual(records(stream).map((r) => [r.line, login(r)]), [
    [100_001, "half-done"],
    [100_002, "next"],
  ]);
  for (const r of records(stream)) t.true((lines[r.line - 1] as string).startsWith(`${r.event}, login=${login(r) as string}`));
});

test("follow: Last-Event-ID replays the records written while the client was away, across rotations, each once; a gap past the bound or an unknown id is said", async (t) => {
  const dir = tempDir(t, "slf4ts-scale-");
  const props = await writeLog(dir, { "file.size": "300", "file.count": "100" }, [["ox.login", { login: "before" }]]);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  t.teardown(() => audit.shutdown());
  const first = await follow(served.url, "/api/follow?event=ox.login");
  await new Promise((r) => setTimeout(r, 400));
  for (let i = 0; i < 5; i++) audit.log(i === 2 ? "ox.logout" : "ox.login", { login: `u${i}` });
  await until(() => records(first).length >= 4);
  t.deepEqual(records(first).map(login), ["u0", "u1", "u3", "u4"]);
  const lastId = first.events.filter((e) => e.event === "record").at(-1)?.id;
  t.regex(lastId ?? "", /^[0-9]+:[0-9]+$/);
  first.request.destroy();
  await new Promise((r) => setTimeout(r, 300));
  // Away: records written, the file rotated several times (300 bytes a file).
  for (let i = 5; i < 25; i++) audit.log("ox.login", { login: `u${i}`, ip: "192.0.2.7", client: "a client of some length" });
  await new Promise((r) => setTimeout(r, 300));
  const again = await follow(served.url, "/api/follow?event=ox.login", lastId);
  t.teardown(() => void again.request.destroy());
  await until(() => records(again).length >= 20);
  for (let i = 25; i < 27; i++) audit.log("ox.login", { login: `u${i}` });
  await until(() => records(again).length >= 22);
  await new Promise((r) => setTimeout(r, 500));
  t.deepEqual(records(again).map(login), Array.from({ length: 22 }, (_, i) => `u${i + 5}`));
  t.deepEqual(again.events.filter((e) => e.event !== "record"), []);
  // Every replayed record's line is the line of its file.
  for (const r of records(again)) {
    const text = readFileSync(join(dir, r.file), "utf8").split("\n")[r.line - 1] as string;
    t.true(text.startsWith(`ox.login, login=${login(r) as string}`), `${r.file}:${r.line}: ${text}`);
  }
  again.request.destroy();

  const unknown = await follow(served.url, "/api/follow", "12:x");
  t.teardown(() => void unknown.request.destroy());
  await until(() => unknown.events.length >= 1);
  t.deepEqual(unknown.events[0]?.data, "Last-Event-ID not understood (expected one inode:line per log): following from now");
  unknown.request.destroy();
  // An id of a file long gone: said, and followed from now.
  const gone = await follow(served.url, "/api/follow", "1:5");
  t.teardown(() => void gone.request.destroy());
  await until(() => gone.events.length >= 1);
  t.regex(String(gone.events[0]?.data), /logs\/audit\.log: the records written while away cannot be replayed \(the file it stopped in is gone or compressed\): following from now/);
  gone.request.destroy();
});

test("follow: a gap larger than the replay bound is not replayed, and said", async (t) => {
  const dir = tempDir(t, "slf4ts-scale-");
  await writeLog(dir, {}, []);
  const path = join(dir, "logs", "audit.log");
  writeFileSync(path, "ox.login, login=a\n");
  const served = await startServe(t, ["logs"], dir);
  const first = await follow(served.url, "/api/follow");
  await new Promise((r) => setTimeout(r, 400));
  appendFileSync(path, "ox.login, login=b\n");
  await until(() => records(first).length >= 1);
  const id = first.events.at(-1)?.id;
  t.regex(id ?? "", /^[0-9]+:2$/);
  first.request.destroy();
  appendFileSync(path, `ox.login, login=c, pad=${"x".repeat(9 * 1024 * 1024)}\n`);
  const again = await follow(served.url, "/api/follow", id);
  t.teardown(() => void again.request.destroy());
  await until(() => again.events.length >= 1);
  t.regex(String(again.events[0]?.data), /the records written while away cannot be replayed \([0-9]+ bytes were written since, more than the 8388608 replayed: search for the records in between\): following from now/);
  appendFileSync(path, "ox.login, login=d\n");
  await until(() => records(again).length >= 1);
  t.deepEqual(records(again).map((r) => [r.line, login(r)]), [[4, "d"]]);
});
