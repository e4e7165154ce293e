/**
 * `slf4ts-audit serve` attacked where its first review found it weak (docs/console.md): a
 * symbolic link put at the active file's path after the start, slow and many clients, the
 * sign-in cookie, and the small ways to make it hang or fail (HEAD of a stream, one client
 * taking every follow slot, out-of-range times, a bad absolute URL, a folder named like an
 * archive, attributes named like the table's own columns). Every test here failed on the code
 * before the fix it checks.
 */
import test from "ava";
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";
import { buildFixture } from "./lib/cli-fixture.js";
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
  const verify = (await getJson<{ logs: Array<{ stopped?: string; findings: unknown[] }> }>(served.url, "/api/verify")).body;
  t.true(verify.logs.some((l) => l.stopped?.includes("symbolic link") === true || JSON.stringify(l.findings).includes("symbolic link")), JSON.stringify(verify));
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
