/**
 * `slf4ts-audit serve` attacked where its first review found it weak (docs/console.md): a
 * symbolic link put at the active file's path after the start, slow and many clients, the
 * sign-in cookie, and the small ways to make it hang or fail (HEAD of a stream, one client
 * taking every follow slot, out-of-range times, a bad absolute URL, a folder named like an
 * archive, attributes named like the table's own columns). Every test here failed on the code
 * before the fix it checks.
 */
import test from "ava";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";
import { buildFixture, writeLog } from "./lib/cli-fixture.js";
import { runCli } from "./lib/cli.js";
import { tempDir } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup } from "./lib/integrity.js";
import { getJson, rawRequest, startServe } from "./lib/serve.js";

const SECRET = "TOPSECRET";

/** Server-sent events of one follow stream, collected as they come. */
async function follow(url: string, path: string): Promise<{ status: number; events: Array<{ event: string; data: string }>; raw: () => string; close: () => void }> {
  const request = httpGet(new URL(path, url));
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request.on("response", resolve);
    request.on("error", reject);
  });
  const events: Array<{ event: string; data: string }> = [];
  let all = "";
  let buffer = "";
  res.on("data", (chunk: Buffer) => {
    all += chunk.toString();
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data });
    }
  });
  res.on("error", () => undefined);
  return { status: res.statusCode ?? 0, events, raw: () => all, close: () => void request.destroy() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("a symbolic link put at the active file's path after the start is never read through: search, detail, export, follow, verify", async (t) => {
  const s = integritySetup(t, { base: INTEGRITY_SETTINGS });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 5; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  await audit.shutdown();
  // A file the reader may read but that is not of the log set, in a folder of its own.
  const elsewhere = join(s.dir, "elsewhere");
  mkdirSync(elsewhere);
  const secret = join(elsewhere, "secret.log");
  writeFileSync(secret, `ox.login, login=${SECRET}, ip=203.0.113.9\n`);
  // The log set is named as the properties name it: file.location, the active file itself.
  const served = await startServe(t, ["--properties", s.props, "--key", s.key], s.dir);
  const before = (await getJson<{ records: unknown[] }>(served.url, "/api/search?limit=1000")).body.records.length;
  t.true(before >= 5);
  // A follow stream open before, and one started after.
  const early = await follow(served.url, "/api/follow");
  t.is(early.status, 200);
  await sleep(300);
  // Whoever can write the log folder replaces the active file by a link to the secret.
  renameSync(s.active, join(s.logs, "audit.log.1"));
  symlinkSync(secret, s.active);
  const leaks: string[] = [];
  const check = (what: string, body: string): void => {
    if (body.includes(SECRET) || body.includes("203.0.113.9") || body.includes("elsewhere")) leaks.push(`${what}: ${body.slice(0, 300)}`);
  };
  const search = await getJson<{ records: Array<{ file: string }>; failedFiles: Array<{ file: string; why: string }> }>(served.url, "/api/search?limit=1000");
  check("search", JSON.stringify(search.body));
  // What was the active file is now the archive; the link is named and refused, visibly.
  t.is(search.body.records.length, before);
  t.deepEqual(search.body.failedFiles, [{ file: "logs/audit.log", why: "a symbolic link, not a regular file: not followed or opened" }]);
  for (const path of [
    `/api/search?q=${SECRET}`,
    "/api/line?file=logs/audit.log&line=1",
    "/api/line?file=elsewhere/secret.log&line=1",
    `/api/export?format=jsonl`,
    `/api/export?format=csv`,
    `/api/export?format=jsonl&order=asc`,
    "/api/stats?by=login",
    "/api/verify",
    "/api/files",
  ]) {
    const res = await rawRequest(served.url, path);
    check(path, res.body);
    if (path === "/api/line?file=logs/audit.log&line=1") t.is(res.status, 404);
  }
  // verify names the link, checks the rest, and does not call the log intact.
  const verify = (await getJson<{ logs: Array<{ intact: boolean; unreadable?: Array<{ file: string; why: string }> }> }>(served.url, "/api/verify")).body;
  t.deepEqual(verify.logs[0]?.unreadable, [{ file: "logs/audit.log", why: "a symbolic link, not a regular file: not followed or opened" }], JSON.stringify(verify));
  t.false(verify.logs[0]?.intact);
  // A follow started now, and then a record written to the secret: nothing of it arrives.
  const stream = await follow(served.url, "/api/follow");
  t.is(stream.status, 200);
  await sleep(400);
  appendFileSync(secret, `ox.login, login=${SECRET}2, ip=203.0.113.9\n`);
  await sleep(800);
  stream.close();
  early.close();
  check("follow", stream.raw());
  check("follow (started before)", early.raw());
  t.true(stream.events.some((e) => e.event === "notice" && e.data.includes("symbolic link")), stream.raw());
  t.deepEqual(leaks, []);
});

test("a link named on the command line is resolved once at the start: the log it named is served, and a link made later in its place is not followed", async (t) => {
  const { dir } = await (async () => {
    const dir = tempDir(t, "slf4ts-serve-");
    await buildFixture(dir);
    return { dir };
  })();
  symlinkSync(join(dir, "logs", "audit.log"), join(dir, "current.log"));
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties", "current.log"], dir);
  const page = (await getJson<{ records: Array<{ file: string }> }>(served.url, "/api/search?limit=1")).body;
  t.is(page.records[0]?.file, "logs/audit.log");
  // Whoever can write the folder of the link points it somewhere else: the console stays on the log.
  const secret = join(dir, "secret.log");
  writeFileSync(secret, `ox.login, login=${SECRET}\n`);
  rmSync(join(dir, "current.log"));
  symlinkSync(secret, join(dir, "current.log"));
  const after = await rawRequest(served.url, "/api/search?limit=1000");
  t.false(after.body.includes(SECRET), after.body.slice(0, 300));
  t.true((JSON.parse(after.body) as { records: unknown[] }).records.length > 0);
  // A folder on the way replaced by a link is refused too, naming it.
  renameSync(join(dir, "logs"), join(dir, "logs.real"));
  mkdirSync(join(dir, "decoy"));
  writeFileSync(join(dir, "decoy", "audit.log"), `ox.login, login=${SECRET}\n`);
  symlinkSync(join(dir, "decoy"), join(dir, "logs"));
  const swapped = await rawRequest(served.url, "/api/search?limit=1000");
  t.false(swapped.body.includes(SECRET), swapped.body.slice(0, 300));
  t.regex(swapped.body, /symbolic link/);
  t.is((await rawRequest(served.url, "/api/line?file=logs/audit.log&line=1")).body.includes(SECRET), false);
});

/** A raw TCP connection to the console, from `from` (a loopback address); what it received, and when it closed. */
function rawSocket(url: string, from = "127.0.0.1"): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: hostname, port: Number(port), localAddress: from });
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.on("error", () => undefined);
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - started)));
    socket.once("connect", () => resolve({ socket, received: () => received, closed }));
    socket.once("error", reject);
  });
}

/** Resolves to the time until `closed`, or to undefined after `ms`. */
const closedWithin = (closed: Promise<number>, ms: number): Promise<number | undefined> => Promise.race([closed, sleep(ms).then(() => undefined)]);

/** A GET on its own connection (no keep-alive), from `from`. */
function getFrom(url: string, path: string, from: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(new URL(path, url), { localAddress: from, agent: false, headers: { Connection: "close" }, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path}`)));
    req.on("error", reject);
  });
}

test("a body sent byte by byte is cut off within 5 s (sign-in, before the token is checked, and any other request)", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--token", "x".repeat(20), "--properties", "slf4j-auditlog.properties"], dir);
  const host = new URL(served.url).host;
  const slow = async (head: string): Promise<{ after: number | undefined; received: string }> => {
    const raw = await rawSocket(served.url);
    raw.socket.write(head);
    const drip = setInterval(() => raw.socket.write("t"), 1000);
    const after = await closedWithin(raw.closed, 9000);
    clearInterval(drip);
    raw.socket.destroy();
    return { after, received: raw.received() };
  };
  const [signIn, put, rebound] = await Promise.all([
    slow(`POST /sign-in HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=`),
    slow(`PUT /api/search HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n`),
    slow(`POST /sign-in HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 1000\r\n\r\ntoken=`),
  ]);
  for (const [what, result] of [["sign-in", signIn], ["PUT", put], ["wrong Host", rebound]] as const) {
    t.not(result.after, undefined, `${what}: the connection is still open after 9 s`);
    t.true((result.after ?? 0) >= 4000, `${what}: closed after ${result.after} ms`);
    t.regex(result.received, /^HTTP\/1\.1 408 /, what);
  }
  // A body larger than 4 KiB is refused before it is read.
  const large = await rawRequest(served.url, "/sign-in", { method: "POST", headers: { "Content-Length": "5000" }, body: "x".repeat(5000) }).catch((error: Error) => error);
  t.true(large instanceof Error || large.status === 413);
});

test("headers sent byte by byte are cut off within the headers timeout (10 s)", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const raw = await rawSocket(served.url);
  raw.socket.write(`GET /api/search HTTP/1.1\r\nHost: ${new URL(served.url).host}\r\n`);
  const drip = setInterval(() => raw.socket.write("X-Slow: a\r\n"), 500);
  const after = await closedWithin(raw.closed, 14_000);
  clearInterval(drip);
  raw.socket.destroy();
  t.not(after, undefined, "still open after 14 s");
  t.true((after ?? 0) >= 9000, `closed after ${after} ms`);
});

test("connections are capped in all and per client address: the extra one gets a 503 while another client is still answered", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties", "--max-connections", "6", "--max-client-connections", "3"], dir);
  const hold = async (from: string, n: number): Promise<Array<Awaited<ReturnType<typeof rawSocket>>>> => {
    const held = [];
    for (let i = 0; i < n; i++) held.push(await rawSocket(served.url, from));
    return held;
  };
  const first = await hold("127.0.0.1", 3);
  t.teardown(() => first.forEach((h) => h.socket.destroy()));
  await sleep(100);
  // One more from the same address: refused, at once.
  const extra = await rawSocket(served.url, "127.0.0.1");
  t.not(await closedWithin(extra.closed, 3000), undefined, "the extra connection stays open");
  t.regex(extra.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*at most 3 connections at once from one address/);
  // Another client is answered meanwhile.
  const other = await getFrom(served.url, "/api/files", "127.0.0.2");
  t.is(other.status, 200);
  // Three more elsewhere fill the console: a fourth address is refused too.
  const second = await hold("127.0.0.3", 3);
  t.teardown(() => second.forEach((h) => h.socket.destroy()));
  await sleep(100);
  const full = await rawSocket(served.url, "127.0.0.4");
  t.not(await closedWithin(full.closed, 3000), undefined);
  t.regex(full.received(), /at most 6 connections at once/);
  // One goes: its place is free again.
  first[0]?.socket.destroy();
  await sleep(200);
  t.is((await getFrom(served.url, "/api/files", "127.0.0.4")).status, 200);
});

test("the sign-in cookie holds a random session id, never the token: it signs in on its console only, not on another with the same token", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const token = "correct-horse-battery-staple-42";
  const a = await startServe(t, ["--token", token, "--properties", "slf4j-auditlog.properties"], dir);
  const b = await startServe(t, ["--token", token, "--properties", "slf4j-auditlog.properties"], dir);
  const signIn = async (url: string): Promise<string> => {
    const res = await rawRequest(url, "/sign-in", { method: "POST", body: `token=${encodeURIComponent(token)}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    t.is(res.status, 303);
    return res.headers["set-cookie"]?.[0] ?? "";
  };
  const setCookie = await signIn(a.url);
  const portA = new URL(a.url).port;
  const portB = new URL(b.url).port;
  const [pair = "", ...attributes] = setCookie.split(/;\s*/);
  const [name = "", value = ""] = pair.split("=");
  t.is(name, `slf4ts_console_${portA}`);
  t.deepEqual(attributes.slice(0, 3), ["HttpOnly", "SameSite=Strict", "Path=/"]);
  const maxAge = Number(/^Max-Age=(\d+)$/.exec(attributes.find((x) => x.startsWith("Max-Age=")) ?? "")?.[1]);
  t.true(maxAge > 0 && maxAge <= 24 * 3600, setCookie);
  // Nothing of the token in it: not as is, not encoded, not hashed.
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256").update(token).digest();
  for (const form of [token, encodeURIComponent(token), hash.toString("hex"), hash.toString("base64"), hash.toString("base64url"), Buffer.from(token).toString("base64")]) {
    t.false(setCookie.includes(form), setCookie);
  }
  t.regex(value, /^[A-Za-z0-9_-]{43}$/);
  // It signs in on A…
  t.is((await rawRequest(a.url, "/api/files", { headers: { Cookie: pair } })).status, 200);
  // …and nowhere else: not on B (same token), under either name.
  t.is((await rawRequest(b.url, "/api/files", { headers: { Cookie: pair } })).status, 401);
  t.is((await rawRequest(b.url, "/api/files", { headers: { Cookie: `slf4ts_console_${portB}=${value}` } })).status, 401);
  // The token itself in the cookie signs in nowhere; a second sign-in is another session.
  t.is((await rawRequest(a.url, "/api/files", { headers: { Cookie: `slf4ts_console_${portA}=${encodeURIComponent(token)}` } })).status, 401);
  t.not(await signIn(a.url), setCookie);
  // A console restarted forgets its sessions.
  await a.stop();
  const again = await startServe(t, ["--token", token, "--properties", "slf4j-auditlog.properties", "--port", portA], dir).catch(() => undefined);
  if (again !== undefined) t.is((await rawRequest(again.url, "/api/files", { headers: { Cookie: pair } })).status, 401);
});

test("HEAD is answered like GET without a body on every path, follow included (it never hangs)", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  for (const path of ["/", "/console.js", "/api/search", "/api/stats", "/api/files", "/api/verify", "/api/export?format=csv", "/api/line?file=logs/audit.log&line=1", "/api/follow", "/api/follow?event=ox.login"]) {
    const started = Date.now();
    const res = await rawRequest(served.url, path, { method: "HEAD" });
    t.is(res.status, 200, path);
    t.is(res.body, "", path);
    t.true(Date.now() - started < 5000, path);
  }
  t.regex(String((await rawRequest(served.url, "/api/follow", { method: "HEAD" })).headers["content-type"]), /^text\/event-stream/);
  // A bad search is the same 400 for HEAD as for GET.
  t.is((await rawRequest(served.url, "/api/follow?order=up", { method: "HEAD" })).status, 400);
});

test("one client address gets at most 4 of the 16 follow streams; another client still gets one", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const open = async (from: string): Promise<{ status: number; body: string; close: () => void }> => {
    const req = httpGet(new URL("/api/follow", served.url), { localAddress: from, agent: false });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on("response", resolve);
      req.on("error", reject);
    });
    let body = "";
    if (res.statusCode !== 200) await new Promise<void>((done) => res.on("data", (c: Buffer) => (body += c.toString())).on("end", done));
    return { status: res.statusCode ?? 0, body, close: () => void req.destroy() };
  };
  const mine: Array<Awaited<ReturnType<typeof open>>> = [];
  for (let i = 0; i < 4; i++) mine.push(await open("127.0.0.1"));
  t.teardown(() => mine.forEach((f) => f.close()));
  t.deepEqual(mine.map((f) => f.status), [200, 200, 200, 200]);
  const fifth = await open("127.0.0.1");
  t.is(fifth.status, 503);
  t.regex(fifth.body, /already 4 followers from 127\.0\.0\.1/);
  const other = await open("127.0.0.2");
  t.is(other.status, 200);
  other.close();
});

test("a time bound out of range is the same 400 naming the parameter and the range for search, counts, export and follow", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  for (const bound of ["since=999999999d", "until=999999999d", "since=999999999w"]) {
    const errors = new Set<string>();
    for (const api of ["search", "stats", "export", "follow"]) {
      const res = await getJson<{ error: string }>(served.url, `/api/${api}?${bound}`);
      t.is(res.status, 400, `${api}?${bound}`);
      errors.add(res.body.error);
    }
    t.is(errors.size, 1, [...errors].join(" | "));
    const name = bound.split("=")[0] as string;
    t.regex([...errors][0] as string, new RegExp(`^${name} "${bound.split("=")[1]}": out of range; expected a time from 0000-01-01 to 9999-12-31 \\(an age of at most \\d+d, reaching back to 0000-01-01\\)$`));
  }
  // The farthest age allowed still works.
  const days = Math.floor((Date.now() - Date.parse("0000-01-01T00:00:00Z")) / 86_400_000) - 1;
  t.is((await getJson(served.url, `/api/stats?since=${days}d`)).status, 200);
});

test("a request target that is not a URL (absolute form) is a 400, not a 500", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  for (const target of ["http://[", "http://[/api/search", "http://%zz/"]) {
    const raw = await rawSocket(served.url);
    raw.socket.write(`GET ${target} HTTP/1.1\r\nHost: ${new URL(served.url).host}\r\nConnection: close\r\n\r\n`);
    await closedWithin(raw.closed, 5000);
    t.regex(raw.received(), /^HTTP\/1\.1 400 /, target);
    t.notRegex(raw.received(), /Invalid URL|TypeError/, target);
  }
  // The server goes on answering.
  t.is((await getJson(served.url, "/api/files")).status, 200);
});

test("a folder named like an archive does not stop verify: it is named unreadable, and the rest of the log is checked", async (t) => {
  const s = integritySetup(t, { base: INTEGRITY_SETTINGS, settings: { "file.size": "600", "file.count": "20" } });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 12; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  await audit.shutdown();
  t.false(existsSync(join(s.logs, "audit.log.13")));
  t.true(existsSync(join(s.logs, "audit.log.2")), "the writer rotated");
  mkdirSync(join(s.logs, "audit.log.13"));
  writeFileSync(join(s.logs, "audit.log.13", "x"), "ox.login, login=inside\n");
  const served = await startServe(t, ["--properties", s.props, "--key", s.key], s.dir);
  type Verify = { logs: Array<{ intact: boolean; stopped?: string; records?: number; unreadable: Array<{ file: string; why: string }> }> };
  const report = (await getJson<Verify>(served.url, "/api/verify")).body;
  const log = report.logs[0];
  t.is(log?.stopped, undefined, JSON.stringify(report));
  t.deepEqual(log?.unreadable, [{ file: "logs/audit.log.13", why: "a folder, not a regular file: not followed or opened" }]);
  t.true((log?.records ?? 0) >= 12, JSON.stringify(report));
  t.false(log?.intact);
});

test("attributes named time, event, file, line or source get their own columns (time#2, …), never the built-in ones", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await writeLog(dir, {}, [["ox.login", { time: "yesterday", event: "spoofed", file: "x", login: "anna", timestamp: new Date("2026-11-17T09:30:00Z") }]]);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const csv = (await rawRequest(served.url, "/api/export?format=csv")).body.split("\r\n");
  t.is(csv[0], "file,line,time,event,time#2,event#2,file#2,login,timestamp");
  t.is(csv[1], "logs/audit.log,1,2026-11-17T09:30:00Z,ox.login,yesterday,spoofed,x,anna,2026-11-17T09:30:00Z");
});

test("--max-connections and --max-client-connections take a whole number from 1 to 10000, else the command line is refused naming them", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await buildFixture(dir);
  for (const [option, value] of [["--max-connections", "0"], ["--max-client-connections", "x"], ["--max-connections", "10001"]] as const) {
    const res = await runCli(["serve", "--properties", "slf4j-auditlog.properties", option, value], { cwd: dir });
    t.is(res.code, 2);
    t.regex(res.err, new RegExp(`^slf4ts-audit serve: ${option} "${value}": expected a whole number from 1 to 10000\n`));
  }
});
