/**
 * `slf4ts-audit serve` over HTTP, as a script or an attacker meets it: the search API over the
 * fixture week written by the real logger (narrowing, paging, order, relative times, bad input),
 * the detail of a line, the counts, the exports, the verify view; and every safety claim tried:
 * read-only, the token off loopback (refused to start without one, required on every request,
 * compared whole), the loopback Host check, path traversal (`..`, `%2e%2e`, absolute paths,
 * symbolic links, a file beside the log), the security headers.
 */
import test from "ava";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";
import { buildFixture, EVENTS, writeLog } from "./lib/cli-fixture.js";
import { runCli } from "./lib/cli.js";
import { tempDir } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, verifyLog } from "./lib/integrity.js";
import { getJson, rawRequest, startServe } from "./lib/serve.js";

interface Row {
  file: string;
  line: number;
  time: string | null;
  event: string;
  attributes: Array<{ name: string | null; value: string | null }>;
}
interface Page {
  records: Row[];
  more: boolean;
  offset: number;
  unreadableCount: number;
}

const attr = (row: Row, name: string): string | null | undefined => row.attributes.find((a) => a.name === name)?.value;

async function fixture(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; props: string }> {
  const dir = tempDir(t, "slf4ts-serve-");
  const props = await buildFixture(dir);
  return { dir, props };
}

test("search: event globs, attribute tests, free text and time range narrow the records; each record says its file and line", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const all = (await getJson<Page>(served.url, "/api/search?limit=1000")).body;
  t.is(all.records.length, EVENTS.length);
  t.false(all.more);
  const logins = (await getJson<Page>(served.url, "/api/search?event=ox.log*&limit=1000")).body.records;
  t.is(logins.length, EVENTS.filter(([id]) => id.startsWith("ox.log")).length);
  const sent = (await getJson<Page>(served.url, "/api/search?event=smtp.*.sent&attr=smtp.sent=bob@example.org")).body.records;
  t.deepEqual(sent.map((r) => attr(r, "login")).sort(), ["anna", "ben", "erin", "thorben"]);
  const regex = (await getJson<Page>(served.url, `/api/search?attr=${encodeURIComponent("ip~^198\\.51\\.100\\.2[01]$")}&event=ox.login`)).body.records;
  t.deepEqual(regex.map((r) => attr(r, "login")), ["anna", "ben", "ben"]);
  const text = (await getJson<Page>(served.url, "/api/search?q=THORBEN")).body.records;
  t.is(text.length, EVENTS.filter(([, a]) => a["login"] === "thorben").length);
  const day = (await getJson<Page>(served.url, "/api/search?since=2026-11-17&until=2026-11-17&order=asc")).body.records;
  t.deepEqual(day.map((r) => attr(r, "login")), ["carla", "thorben", "dave", "dave", "carla", "ben"]);
  for (const row of day) {
    t.regex(row.file, /^logs\/audit\.log(\.[0-9]+(\.gz)?)?$/);
    const line = (await getJson<{ text: string; record: Row }>(served.url, `/api/line?file=${encodeURIComponent(row.file)}&line=${row.line}`)).body;
    t.true(line.text.startsWith(`${row.event}, `), line.text);
    t.deepEqual(line.record, row);
  }
});

test("search: newest first by default, oldest first with order=asc; pages follow one another without gaps", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const times = EVENTS.map(([, a]) => (a["timestamp"] as Date).toISOString().replace(".000Z", "Z"));
  for (const order of ["asc", "desc"] as const) {
    const seen: string[] = [];
    for (let offset = 0; ; offset += 5) {
      const page = (await getJson<Page>(served.url, `/api/search?limit=5&offset=${offset}${order === "asc" ? "&order=asc" : ""}`)).body;
      seen.push(...page.records.map((r) => r.time as string));
      if (!page.more) break;
      t.is(page.records.length, 5);
    }
    t.deepEqual(seen, order === "asc" ? times : [...times].reverse());
  }
});

test("search: relative times (15m, 24h, 7d) count back from now", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  const now = Date.now();
  await writeLog(dir, {}, [
    ["ox.login", { login: "old", timestamp: new Date(now - 3 * 86_400_000) }],
    ["ox.login", { login: "hour", timestamp: new Date(now - 3_600_000) }],
    ["ox.login", { login: "now", timestamp: new Date(now - 60_000) }],
  ]);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const logins = async (since: string): Promise<unknown[]> => (await getJson<Page>(served.url, `/api/search?since=${since}&order=asc`)).body.records.map((r) => attr(r, "login"));
  t.deepEqual(await logins("15m"), ["now"]);
  t.deepEqual(await logins("24h"), ["hour", "now"]);
  t.deepEqual(await logins("7d"), ["old", "hour", "now"]);
});

test("bad input is a 400 naming the parameter, its value and what was expected; a regex that needs backtracking is refused", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const error = async (query: string): Promise<string> => {
    const res = await getJson<{ error: string }>(served.url, `/api/search?${query}`);
    t.is(res.status, 400, query);
    return res.body.error;
  };
  t.regex(await error("limit=0"), /^limit "0": expected a whole number from 1 to 1000$/);
  t.regex(await error("offset=-1"), /^offset "-1": expected a whole number/);
  t.regex(await error("order=sideways"), /^order "sideways": expected asc or desc$/);
  t.regex(await error("since=yesterday"), /^since "yesterday": expected an ISO 8601 date or time/);
  t.regex(await error("attr=ip"), /^attr "ip": expected name=value or name~regex$/);
  // Matched in linear time (test/serve-regex.test.ts): what needs backtracking is refused.
  t.regex(await error(`attr=${encodeURIComponent("login~(a)\\1")}`), /^attr "login~\(a\)\\1": the regular expression is refused at index 3: back-reference/);
  t.regex(await error(`attr=${encodeURIComponent("login~a(?=b)")}`), /look-ahead "\(\?=" is not supported: the regex is matched in linear time/);
  t.regex(await error(`attr=${encodeURIComponent("login~(x")}`), /^attr "login~\(x": the regular expression is refused/);
  t.regex(await error("event=" + "x".repeat(2000)), /^event: a value of 2000 characters, at most 1024$/);
  t.regex(await error(Array.from({ length: 40 }, () => "event=a").join("&")), /^event: given 40 times, at most 32$/);
  // The server is still answering, quickly.
  const started = Date.now();
  t.is((await getJson<Page>(served.url, "/api/search?limit=1")).status, 200);
  t.true(Date.now() - started < 2000);
});

test("counts: the histogram, per event id and per value of an attribute, for the search", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  type Stats = { total: number; buckets: number[]; bucketMillis: number; startTime: string; events: Array<[string, number]>; values: Array<[string, number]> };
  const days = (await getJson<Stats>(served.url, "/api/stats?since=2026-11-16&until=2026-11-21&buckets=6&by=ip")).body;
  t.is(days.total, EVENTS.length);
  t.is(days.bucketMillis, 86_400_000);
  t.is(days.startTime, "2026-11-16T00:00:00Z");
  const perDay = [16, 17, 18, 19, 20, 21].map((d) => EVENTS.filter(([, a]) => (a["timestamp"] as Date).getUTCDate() === d).length);
  t.deepEqual(days.buckets, perDay);
  t.deepEqual(days.events[0], ["ox.login", EVENTS.filter(([id]) => id === "ox.login").length]);
  t.deepEqual(days.values[0], ["192.0.2.7", EVENTS.filter(([, a]) => a["ip"] === "192.0.2.7").length]);
  const narrowed = (await getJson<Stats>(served.url, "/api/stats?event=smtp.*&buckets=1")).body;
  t.deepEqual(narrowed.buckets, [EVENTS.filter(([id]) => id.startsWith("smtp.")).length]);
  t.is((await getJson(served.url, "/api/stats?buckets=501")).status, 400);
});

test("export: CSV (formula cells defused, controls escaped) and JSON lines of the whole search, streamed", async (t) => {
  const { dir } = await fixture(t);
  const props = join(dir, "slf4j-auditlog.properties");
  appendFileSync(props, "");
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const jsonl = await rawRequest(served.url, "/api/export?format=jsonl&event=ox.login&order=asc");
  t.is(jsonl.status, 200);
  t.regex(jsonl.headers["content-type"] ?? "", /^application\/x-ndjson/);
  t.is(jsonl.headers["content-disposition"], 'attachment; filename="audit-records.jsonl"');
  const lines = jsonl.body.trimEnd().split("\n").map((l) => JSON.parse(l) as Row);
  t.is(lines.length, EVENTS.filter(([id]) => id === "ox.login").length);
  // The same as `slf4ts-audit query --format jsonl`.
  const query = await runCli(["query", "--properties", "slf4j-auditlog.properties", "--event", "ox.login", "--format", "jsonl"], { cwd: dir });
  t.is(jsonl.body, query.out);
  const csv = await rawRequest(served.url, "/api/export?format=csv&attr=login=mallory");
  t.is(csv.status, 200);
  const query2 = await runCli(["query", "--properties", "slf4j-auditlog.properties", "--attr", "login=mallory", "--format", "csv"], { cwd: dir });
  t.is(csv.body, query2.out);
  t.true(csv.body.includes("curl\\\\n\\\\u001B[31mfake") || csv.body.includes("curl\\n\\u001B[31mfake"), csv.body);
  t.false(csv.body.includes("\u001b"));
  t.is((await getJson(served.url, "/api/export?format=xml")).status, 400);
});

test("verify: the verdicts of slf4ts-audit verify, intact and then with the tampered line named", async (t) => {
  const s = integritySetup(t, { base: INTEGRITY_SETTINGS });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  await audit.shutdown();
  const served = await startServe(t, ["--properties", s.props, "--key", s.key], s.dir);
  type Verify = { checked: boolean; logs: Array<{ intact: boolean; findings: Array<{ kind: string; file: string; line: number }> }> };
  const intact = (await getJson<Verify>(served.url, "/api/verify")).body;
  t.true(intact.checked);
  t.true(intact.logs[0]?.intact, JSON.stringify(intact));
  const lines = readFileSync(s.active, "utf8").split("\n");
  const at = lines.findIndex((l) => l.includes("login=user7"));
  lines[at] = (lines[at] as string).replace("login=user7", "login=usurper");
  writeFileSync(s.active, lines.join("\n"));
  const tampered = (await getJson<Verify>(served.url, "/api/verify")).body;
  t.false(tampered.logs[0]?.intact);
  t.true(tampered.logs[0]?.findings.some((f) => f.kind === "modified" && f.file === "logs/audit.log" && f.line === at + 1), JSON.stringify(tampered));
  // Without a key the view says so.
  const noKey = await startServe(t, ["--properties", s.props], s.dir);
  t.deepEqual((await getJson(noKey.url, "/api/verify")).body, { checked: false, why: "no --key, --public-key or --chain-only was given to slf4ts-audit serve" });
});

test("verify: with --properties, the same findings and warnings as slf4ts-audit verify (an archive deleted, found by file.count)", async (t) => {
  const s = integritySetup(t, { base: INTEGRITY_SETTINGS, settings: { "file.size": "600", "file.count": "20" } });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 40; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  await audit.shutdown();
  const archives = readdirSync(s.logs).filter((n) => /^audit\.log\.\d+$/.test(n)).sort((a, b) => Number(b.split(".").at(-1)) - Number(a.split(".").at(-1)));
  t.true(archives.length >= 3, archives.join());
  // The oldest archive goes: only file.count tells that one is missing.
  rmSync(join(s.logs, archives[0] as string));
  const cli = await verifyLog(s);
  t.not(cli.kinds.length, 0, "verify finds it");
  const served = await startServe(t, ["--properties", s.props, "--key", s.key], s.dir);
  type Verify = { logs: Array<{ findings: Array<{ kind: string }>; warnings: Array<{ kind: string }> }> };
  const report = (await getJson<Verify>(served.url, "/api/verify")).body;
  t.deepEqual([...new Set(report.logs.flatMap((l) => l.findings.map((f) => f.kind)))].sort(), cli.kinds);
  t.deepEqual([...new Set(report.logs.flatMap((l) => l.warnings.map((f) => f.kind)))].sort(), cli.warnings);
});

test("read-only: only GET and HEAD (POST only to sign in)", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await rawRequest(served.url, "/api/search", { method, body: "x" });
    t.is(res.status, 405, method);
    t.is(res.headers.allow, "GET, HEAD");
  }
  t.is((await rawRequest(served.url, "/sign-in", { method: "POST", body: "token=x" })).status, 405, "no sign-in without a token");
  const head = await rawRequest(served.url, "/api/search", { method: "HEAD" });
  t.is(head.status, 200);
  t.is(head.body, "");
});

test("no file outside the log set is readable through any URL: .., %2e%2e, absolute paths, symbolic links, a file beside the log", async (t) => {
  const { dir } = await fixture(t);
  const secret = join(dir, "secret.txt");
  writeFileSync(secret, "ox.login, login=TOPSECRET\n");
  // Beside the log, named like an archive: a link to the secret, and a plain file that is not of the log.
  symlinkSync(secret, join(dir, "logs", "audit.log.9"));
  writeFileSync(join(dir, "logs", "notes.txt"), "ox.login, login=TOPSECRET\n");
  mkdirSync(join(dir, "logs", "sub"));
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  // The link is named like an archive, so it is listed (as query reports it), but never opened.
  const files = (await getJson<{ logs: Array<{ files: string[] }> }>(served.url, "/api/files")).body.logs.flatMap((l) => l.files);
  t.false(files.some((f) => f.includes("notes") || f.includes("secret")), files.join());
  const page = (await getJson<Page & { failedFiles: Array<{ file: string; why: string }> }>(served.url, "/api/search?limit=1000")).body;
  t.is(page.records.length, EVENTS.length);
  t.deepEqual(page.failedFiles, [{ file: "logs/audit.log.9", why: "a symbolic link, not a regular file: not followed or opened" }]);
  const attempts = [
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "//etc/passwd",
    "/etc/passwd",
    "/console.js/../../package.json",
    "/console.js%2f..%2f..%2fpackage.json",
    "/api/../secret.txt",
    "/logs/audit.log",
    "/api/line?file=secret.txt&line=1",
    "/api/line?file=../secret.txt&line=1",
    "/api/line?file=logs/../secret.txt&line=1",
    "/api/line?file=logs%2f..%2fsecret.txt&line=1",
    "/api/line?file=%2e%2e%2fsecret.txt&line=1",
    `/api/line?file=${encodeURIComponent(secret)}&line=1`,
    "/api/line?file=/etc/passwd&line=1",
    "/api/line?file=logs/audit.log.9&line=1",
    "/api/line?file=logs/notes.txt&line=1",
    "/api/line?file=logs/sub&line=1",
    "/api/search?q=TOPSECRET",
    "/api/export?format=jsonl&q=TOPSECRET",
  ];
  for (const path of attempts) {
    const res = await rawRequest(served.url, path);
    t.false(res.body.includes("TOPSECRET") || res.body.includes("root:"), `${path}: ${res.body.slice(0, 200)}`);
    t.true(res.status === 404 || res.status === 400 || (res.status === 200 && path.startsWith("/api/")), `${path}: ${res.status}`);
  }
  const none = (await getJson<Page>(served.url, "/api/search?q=TOPSECRET")).body;
  t.deepEqual(none.records, []);
  // A folder given selects every audit log in it: still nothing of the link.
  const folder = await startServe(t, ["logs"], dir);
  t.false((await rawRequest(folder.url, "/api/search?q=TOPSECRET&limit=1000")).body.includes("TOPSECRET\"}],\"file\":\"logs/audit.log.9"));
  t.is((await rawRequest(folder.url, "/api/line?file=logs/audit.log.9&line=1")).status, 404);
});

test("security headers on every response: CSP without inline script, nosniff, no framing, no caching", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  for (const path of ["/", "/console.js", "/console.css", "/api/search", "/api/nothing", "/nothing", "/api/search?limit=x"]) {
    const res = await rawRequest(served.url, path);
    const csp = String(res.headers["content-security-policy"] ?? "");
    t.regex(csp, /default-src 'self'/, path);
    t.regex(csp, /script-src 'self';/, path);
    t.notRegex(csp, /unsafe-inline|unsafe-eval|\*|https?:/, path);
    t.is(res.headers["x-content-type-options"], "nosniff", path);
    t.is(res.headers["x-frame-options"], "DENY", path);
    t.is(res.headers["cache-control"], "no-store", path);
  }
  const page = await rawRequest(served.url, "/");
  t.regex(page.headers["content-type"] ?? "", /^text\/html/);
  // The page has no inline script or style and loads nothing from elsewhere.
  t.notRegex(page.body, /<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|style=|https?:\/\/(?!www\.w3\.org)/i);
  t.regex((await rawRequest(served.url, "/console.js")).headers["content-type"] ?? "", /^text\/javascript/);
});

test("bound to loopback, a request must name a loopback host (DNS rebinding is refused)", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const port = new URL(served.url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) t.is((await rawRequest(served.url, "/api/search?limit=1", { headers: { Host: host } })).status, 200, host);
  for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1:${Number(port) + 1}`, `127.0.0.1.evil.example:${port}`]) {
    const res = await rawRequest(served.url, "/api/search?limit=1", { headers: { Host: host } });
    t.is(res.status, 421, host);
    t.false(res.body.includes("ox.login"));
  }
});

test("off loopback, serve refuses to start without a token, and refuses short tokens", async (t) => {
  const { dir } = await fixture(t);
  const refused = await runCli(["serve", "--port", "0", "--host", "0.0.0.0", "--properties", "slf4j-auditlog.properties"], { cwd: dir });
  t.is(refused.code, 2);
  t.regex(refused.err, /--host 0\.0\.0\.0 is not a loopback address: give a token \(--token, --token-file or --generate-token\)/);
  t.is(refused.out, "");
  const short = await runCli(["serve", "--port", "0", "--host", "0.0.0.0", "--token", "short", "--properties", "slf4j-auditlog.properties"], { cwd: dir });
  t.is(short.code, 2);
  t.regex(short.err, /the token must be at least 16 printable ASCII characters/);
  const both = await runCli(["serve", "--token", "x".repeat(20), "--generate-token", "--properties", "slf4j-auditlog.properties"], { cwd: dir });
  t.is(both.code, 2);
});

test("with a token every request needs it (Bearer header or the sign-in cookie), compared whole; a generated token is printed once", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--host", "0.0.0.0", "--generate-token", "--properties", "slf4j-auditlog.properties"], dir);
  const printed = /token \(shown once\): (\S+)\n/.exec(served.err());
  t.truthy(printed, served.err());
  const token = (printed as RegExpExecArray)[1] as string;
  t.is(served.err().split(token).length, 2, "printed once");
  t.false(served.out().includes(token), "not in the address");
  const base = served.url.replace("0.0.0.0", "127.0.0.1");
  for (const path of ["/api/search", "/console.js", "/console.css", "/api/line?file=logs/audit.log&line=1", "/api/export?format=csv", "/api/verify", "/api/stats"]) {
    const res = await rawRequest(base, path);
    t.is(res.status, 401, path);
    t.false(res.body.includes("ox.login"), path);
  }
  const signIn = await rawRequest(base, "/");
  t.is(signIn.status, 401);
  t.regex(signIn.body, /<form method="post" action="\/sign-in">/);
  for (const wrong of ["", token.slice(0, -1), token + "x", token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), `${token} `.repeat(2)]) {
    t.is((await rawRequest(base, "/api/search", { headers: { Authorization: `Bearer ${wrong}` } })).status, 401, wrong);
    t.is((await rawRequest(base, "/api/search", { headers: { Cookie: `slf4ts_console_${new URL(base).port}=${encodeURIComponent(wrong)}` } })).status, 401, wrong);
  }
  t.is((await rawRequest(base, "/api/search", { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  // The sign-in form sets an HttpOnly, SameSite=Strict cookie and sends the browser to the page.
  const bad = await rawRequest(base, "/sign-in", { method: "POST", body: "token=nope", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  t.is(bad.status, 401);
  t.is(bad.headers["set-cookie"], undefined);
  const good = await rawRequest(base, "/sign-in", { method: "POST", body: `token=${encodeURIComponent(token)}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  t.is(good.status, 303);
  t.is(good.headers.location, "/");
  const cookie = (good.headers["set-cookie"]?.[0] ?? "").split(";")[0] as string;
  t.regex(good.headers["set-cookie"]?.[0] ?? "", /HttpOnly; SameSite=Strict; Path=\//);
  t.is((await rawRequest(base, "/console.js", { headers: { Cookie: cookie } })).status, 200);
  t.is((await rawRequest(base, "/", { headers: { Cookie: cookie } })).status, 200);
  // A huge sign-in body is cut off, not buffered.
  const huge = await rawRequest(base, "/sign-in", { method: "POST", body: "token=" + "x".repeat(100_000) }).catch((error: Error) => error);
  t.true(huge instanceof Error || huge.status === 413);
});

test("--token-file reads the token from a file; a loopback console with a token needs it too", async (t) => {
  const { dir } = await fixture(t);
  writeFileSync(join(dir, "token"), "0123456789abcdef0123\n");
  const served = await startServe(t, ["--token-file", "token", "--properties", "slf4j-auditlog.properties"], dir);
  t.is((await rawRequest(served.url, "/api/search")).status, 401);
  t.is((await rawRequest(served.url, "/api/search", { headers: { Authorization: "Bearer 0123456789abcdef0123" } })).status, 200);
  const missing = await runCli(["serve", "--token-file", "nope", "--properties", "slf4j-auditlog.properties"], { cwd: dir });
  t.is(missing.code, 3);
  t.regex(missing.err, /cannot read the token file .*nope \(ENOENT\)/);
});

test("serve --help and the overview name the command; a bad command line, missing files or a taken port are said", async (t) => {
  const help = await runCli(["serve", "--help"]);
  t.is(help.code, 0);
  t.regex(help.out, /^Usage: slf4ts-audit serve/);
  t.regex((await runCli(["--help"])).out, /serve +serve a web page/);
  const noFiles = await runCli(["serve", "--port", "0"]);
  t.is(noFiles.code, 2);
  t.regex(noFiles.err, /no files given/);
  const dir = tempDir(t, "slf4ts-serve-");
  const missing = await runCli(["serve", "--port", "0", "nothing/audit.log"], { cwd: dir });
  t.is(missing.code, 3);
  t.regex(missing.err, /^slf4ts-audit serve: cannot read .*nothing/);
  const badPort = await runCli(["serve", "--port", "70000", "x"], { cwd: dir });
  t.is(badPort.code, 2);
  t.regex(badPort.err, /--port "70000": expected a whole number from 0 to 65535/);
  // A port already taken: said, exit code 3.
  writeFileSync(join(dir, "audit.log"), "ox.login, login=a\n");
  const first = await startServe(t, ["audit.log"], dir);
  const taken = await runCli(["serve", "--port", new URL(first.url).port, "audit.log"], { cwd: dir });
  t.is(taken.code, 3);
  t.regex(taken.err, /cannot listen on 127\.0\.0\.1 port \d+ \(EADDRINUSE\)/);
});

test("follow: server-sent events of the matching records written from now on, across rotations, each once and in order", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  const props = await writeLog(dir, { "file.size": "300", "file.count": "100" }, [["ox.login", { login: "before" }]]);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = "";
  const request = httpGet(new URL("/api/follow?event=ox.login&q=user", served.url));
  t.teardown(() => void request.destroy());
  const opened = await new Promise<IncomingMessage>((resolve, reject) => {
    request.on("response", resolve);
    request.on("error", reject);
  });
  t.is(opened.statusCode, 200);
  t.regex(String(opened.headers["content-type"]), /^text\/event-stream/);
  opened.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  for (let i = 0; i < 40; i++) {
    audit.log(i % 4 === 3 ? "ox.logout" : "ox.login", { login: `user${i}`, ip: "192.0.2.7" });
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 60));
  }
  await audit.shutdown();
  const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 !== 3).map((i) => `user${i}`);
  const deadline = Date.now() + 10_000;
  const logins = (): string[] => events.filter((e) => e.event === "record").map((e) => (e.data as Row).attributes.find((a) => a.name === "login")?.value as string);
  while (logins().length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 600));
  t.deepEqual(logins(), expected);
  t.true(readdirSync(join(dir, "logs")).filter((n) => /^audit\.log\.\d+$/.test(n)).length >= 3, "the writer rotated");
  t.deepEqual(events.filter((e) => e.event !== "record"), []);
});

test("follow: at most 16 followers at once; a follower that left frees its place", async (t) => {
  const { dir } = await fixture(t);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  let opened = 0;
  const open = async (): Promise<{ status: number; close: () => void }> => {
    // From 127.0.0.2, .3, …: at most 4 followers come from one address.
    const req = httpGet(new URL("/api/follow", served.url), { localAddress: `127.0.0.${2 + (opened++ % 8)}`, agent: false });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on("response", resolve);
      req.on("error", reject);
    });
    return { status: res.statusCode ?? 0, close: () => void req.destroy() };
  };
  const followers = [];
  for (let i = 0; i < 16; i++) followers.push(await open());
  t.true(followers.every((f) => f.status === 200));
  const refused = await open();
  t.is(refused.status, 503);
  refused.close();
  followers.pop()?.close();
  await new Promise((r) => setTimeout(r, 300));
  const again = await open();
  t.is(again.status, 200);
  again.close();
  for (const f of followers) f.close();
});

test("the raw-line prefilter loses nothing: values written with escapes are still found by name=value and by free text", async (t) => {
  const dir = tempDir(t, "slf4ts-serve-");
  await writeLog(dir, {}, [
    ["ox.login", { login: "a,b", ip: "192.0.2.1" }],
    ["ox.login", { login: "new\nline", ip: "192.0.2.2" }],
    ["ox.login", { login: "plain", ip: "192.0.2.3" }],
  ]);
  // A line no logger wrote: "admin" spelled with an escape.
  appendFileSync(join(dir, "logs", "audit.log"), "ox.login, login=\\u0061dmin, ip=192.0.2.4\n");
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const ips = async (query: string): Promise<unknown[]> => (await getJson<Page>(served.url, `/api/search?order=asc&${query}`)).body.records.map((r) => attr(r, "ip"));
  t.deepEqual(await ips(`attr=${encodeURIComponent("login=a,b")}`), ["192.0.2.1"]);
  t.deepEqual(await ips(`attr=${encodeURIComponent("login=new\nline")}`), ["192.0.2.2"]);
  t.deepEqual(await ips("attr=login%3Dplain"), ["192.0.2.3"]);
  // An escape hides nothing from a search: the line has a backslash, so it is decoded.
  t.deepEqual(await ips("attr=login%3Dadmin"), ["192.0.2.4"]);
  // Free text is looked for in the line as written.
  t.deepEqual(await ips("q=a%5C%2Cb"), ["192.0.2.1"]);
  t.deepEqual(await ips("q=PLAIN"), ["192.0.2.3"]);
});
