/**
 * The console in a real browser: Debian's chromium (never a downloaded one) driven by
 * playwright-core, over audit files written by the real logger. The search narrows the table
 * and the URL holds it; values holding `<script>`, event handlers, terminal escapes and bidi
 * characters stay inert text; off loopback the page asks for the token; traversal fails; the
 * histogram draws the counts of the records; a tampered file shows its finding on the record.
 * The screenshots of docs/console.md are made here (SLF4TS_SCREENSHOTS=docs writes them anew).
 *
 * Without chromium the tests are skipped on a developer's machine and fail under CI=true
 * (`.ci/run` installs the Debian package `chromium`).
 */
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import test, { type ExecutionContext } from "ava";
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createAuditLogService } from "../src/index.js";
import { buildFixture, EVENTS, writeLog } from "./lib/cli-fixture.js";
import { tempDir } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup } from "./lib/integrity.js";
import { startServe } from "./lib/serve.js";

const CHROMIUM = "/usr/bin/chromium";
const root = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const SHOTS = join(root, "docs", "console");
const present = existsSync(CHROMIUM);
// Under CI a missing browser is a failure naming it, never a skip.
const browserTest = present || process.env["CI"] === "true" ? test.serial : test.serial.skip;

let browser: Browser | undefined;

test.before(async () => {
  if (!present) {
    if (process.env["CI"] === "true") throw new Error(`chromium is not installed (${CHROMIUM}): .ci/run installs the Debian package chromium`);
    return;
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30_000,
  });
});

test.after.always(async () => {
  await browser?.close();
});

/**
 * A fresh browser context (its own cookies and storage) with a page that records every
 * request, every CSP violation and every script error, and fails the test on a dialog.
 */
async function openPage(t: ExecutionContext): Promise<{ context: BrowserContext; page: Page; requests: string[]; errors: string[] }> {
  if (browser === undefined) throw new Error(`chromium is not installed (${CHROMIUM})`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  t.teardown(() => context.close());
  context.setDefaultTimeout(15_000);
  await context.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, requests, errors };
}

async function ready(page: Page): Promise<void> {
  await page.waitForSelector("body[data-state=ready]");
}

async function rows(page: Page): Promise<string[][]> {
  return page.$$eval("#records tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
}

/**
 * A screenshot for docs/console.md: written into docs/console/ when it is missing there or when
 * SLF4TS_SCREENSHOTS=docs (the pictures hold random chain ids, so a run would otherwise change
 * the tracked files every time), else beside the test's files.
 */
async function shot(t: ExecutionContext, page: Page, name: string): Promise<void> {
  const intoDocs = process.env["SLF4TS_SCREENSHOTS"] === "docs" || !existsSync(join(SHOTS, name));
  const folder = intoDocs ? SHOTS : tempDir(t, "slf4ts-shot-");
  mkdirSync(folder, { recursive: true });
  const png = await page.screenshot({ path: join(folder, name) });
  t.true(png.length > 10_000, `${name}: ${png.length} bytes`);
}

browserTest("the search narrows the table, the URL holds it (bookmarkable), a row opens its file, line and raw line", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page, requests, errors } = await openPage(t);
  await page.goto(served.url);
  await ready(page);
  t.is((await rows(page)).length, EVENTS.length);
  await page.fill("input[name=event]", "ox.login");
  await page.fill("textarea[name=attr]", "ip=192.0.2.7");
  await page.click("#go");
  await page.waitForURL(/event=ox\.login/);
  await ready(page);
  const expected = EVENTS.filter(([id, a]) => id === "ox.login" && a["ip"] === "192.0.2.7");
  let table = await rows(page);
  t.is(table.length, expected.length);
  t.true(table.every((r) => r[1] === "ox.login"));
  // Newest first; a click on the time column turns it.
  t.is(table[0]?.[0], (expected.at(-1)?.[1]["timestamp"] as Date).toISOString().replace(".000Z", "Z"));
  await page.click("#records th.sortable");
  await page.waitForURL(/order=asc/);
  await ready(page);
  table = await rows(page);
  t.is(table[0]?.[0], (expected[0]?.[1]["timestamp"] as Date).toISOString().replace(".000Z", "Z"));
  // The URL is the search: opened afresh, it shows the same.
  const bookmark = page.url();
  const again = await openPage(t);
  await again.page.goto(bookmark);
  await ready(again.page);
  t.deepEqual(await rows(again.page), table);
  t.is(await again.page.inputValue("input[name=event]"), "ox.login");
  t.is(await again.page.inputValue("textarea[name=attr]"), "ip=192.0.2.7");
  await shot(t, page, "search.png");
  // A record's detail: its file, line and the line as written.
  await page.click("#records tbody tr:nth-child(2)");
  await page.waitForSelector("#detail:not([hidden])");
  const where = await page.textContent("#detail-where");
  const m = /^(logs\/audit\.log(?:\.\d+(?:\.gz)?)?), line (\d+)$/.exec(where ?? "");
  t.truthy(m, where ?? "");
  const raw = await page.textContent("#detail-raw");
  t.regex(raw ?? "", /^ox\.login, login=\w+, ip=192\.0\.2\.7, timestamp=/);
  await shot(t, page, "detail.png");
  // Nothing was fetched from anywhere else, and nothing failed.
  const origin = new URL(served.url).origin;
  t.deepEqual(requests.filter((u) => !u.startsWith(origin + "/")), []);
  t.deepEqual(errors, []);
  t.deepEqual(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
});

browserTest("values holding <script>, event handlers, terminal escapes and bidi characters are shown as text and never run", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  const hostile = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '"><svg onload="window.__pwned=3">',
    "javascript:window.__pwned=4",
    "\u001b[31mred\u001b[0m\u202eevil",
  ];
  await writeLog(dir, {}, hostile.map((value, i) => ["ox.login", { login: value, n: String(i) }] as const));
  // A line no logger wrote: raw controls and markup straight in the file.
  appendFileSync(join(dir, "logs", "audit.log"), "ox.login, login=<script>window.__pwned=5</script>\u001b]8;;http://evil/\u0007x\u202e, n=raw\n");
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page, errors } = await openPage(t);
  await page.goto(`${served.url}?order=asc`);
  await ready(page);
  const table = await rows(page);
  t.is(table.length, hostile.length + 1);
  const logins = table.map((r) => r[2]);
  t.is(logins[0], "<script>window.__pwned=1</script>");
  t.is(logins[1], '<img src=x onerror="window.__pwned=2">');
  t.is(logins[2], '"><svg onload="window.__pwned=3">');
  // The logger escaped the controls when it wrote them; the page shows the file's text.
  t.is(logins[4], "\\u001B[31mred\\u001B[0m\\u202Eevil");
  // Raw controls (a line no logger wrote) are shown in the records' notation, not acted on.
  t.is(logins[5], "<script>window.__pwned=5</script>\\u001B]8;;http://evil/\\u0007x\\u202E");
  await page.click("#records tbody tr:nth-child(6)");
  await page.waitForSelector("#detail:not([hidden])");
  t.is(await page.textContent("#detail-raw"), "ox.login, login=<script>window.__pwned=5</script>\\u001B]8;;http://evil/\\u0007x\\u202E, n=raw");
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  t.is(await page.$$eval("#records script, #records img, #records svg, #detail script, #detail img", (found) => found.length), 0);
  t.deepEqual(errors, []);
  t.deepEqual(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
});

browserTest("off loopback the page asks for the token; a wrong one is refused; the token never appears in a URL and the cookie is out of the script's reach", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  await buildFixture(dir);
  const token = "s3cret-token-for-the-browser";
  const served = await startServe(t, ["--host", "0.0.0.0", "--token", token, "--properties", "slf4j-auditlog.properties"], dir);
  const url = served.url.replace("0.0.0.0", "127.0.0.1");
  const { page, requests } = await openPage(t);
  const first = await page.goto(url);
  t.is(first?.status(), 401);
  t.is(await page.$("#records"), null);
  const js = await page.request.get(`${url}console.js`);
  t.is(js.status(), 401);
  await page.fill("input[name=token]", "not-the-token-at-all");
  await page.click("button[type=submit]");
  await page.waitForSelector("text=That is not the token.");
  await page.fill("input[name=token]", token);
  await page.click("button[type=submit]");
  await page.waitForSelector("body[data-state=ready]");
  t.is((await rows(page)).length, EVENTS.length);
  t.is(await page.evaluate(() => document.cookie), "");
  t.false(requests.some((u) => u.includes(token)), requests.join("\n"));
  t.false(page.url().includes(token));
});

browserTest("traversal through the browser's address bar fails", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  await buildFixture(dir);
  writeFileSync(join(dir, "secret.txt"), "TOPSECRET\n");
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page } = await openPage(t);
  for (const path of ["..%2f..%2fsecret.txt", "%2e%2e/%2e%2e/etc/passwd", "console.js%2f..%2f..%2fsecret.txt", "api/line?file=..%2fsecret.txt&line=1", "logs/audit.log"]) {
    const response = await page.goto(served.url + path);
    t.true(response !== null && response.status() >= 400, `${path}: ${response?.status()}`);
    const body = (await page.textContent("body")) ?? "";
    t.false(body.includes("TOPSECRET") || body.includes("root:"), path);
  }
});

browserTest("the histogram draws the counts of the records, and a drag across it zooms the time range", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page } = await openPage(t);
  await page.goto(`${served.url}?since=2026-11-16&until=2026-11-21&by=login`);
  await ready(page);
  const bars = await page.$$eval("#histogram rect.bar", (rects) => rects.map((r) => ({ start: (r as SVGElement).dataset["start"] as string, count: Number((r as SVGElement).dataset["count"]) })));
  // 60 buckets over the six days: 2.4 hours each.
  const start = Date.UTC(2026, 10, 16);
  const width = (6 * 86_400_000) / 60;
  const expected = new Map<number, number>();
  for (const [, a] of EVENTS) {
    const i = Math.floor(((a["timestamp"] as Date).getTime() - start) / width);
    expected.set(i, (expected.get(i) ?? 0) + 1);
  }
  t.deepEqual(
    bars.map((b) => [Math.round((Date.parse(b.start) - start) / width), b.count]),
    [...expected.entries()].sort((a, b) => a[0] - b[0]),
  );
  const perLogin = await page.$$eval("#values tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
  t.deepEqual(perLogin[0], ["anna", String(EVENTS.filter(([, a]) => a["login"] === "anna").length)]);
  await shot(t, page, "histogram.png");
  // Drag over the first third of the chart: the search is now that time range.
  const box = await page.locator("#histogram").boundingBox();
  if (box === null) return t.fail("no histogram");
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL(/until=/);
  await ready(page);
  const since = Date.parse(new URL(page.url()).searchParams.get("since") as string);
  const until = Date.parse(new URL(page.url()).searchParams.get("until") as string);
  const inRange = EVENTS.filter(([, a]) => (a["timestamp"] as Date).getTime() >= since && (a["timestamp"] as Date).getTime() <= until);
  t.true(inRange.length > 0 && inRange.length < EVENTS.length);
  t.is((await rows(page)).length, inRange.length);
});

browserTest("a tampered file shows its finding, on the record it concerns", async (t) => {
  const s = integritySetup(t, { base: INTEGRITY_SETTINGS });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 12; i++) audit.log("ox.login", { login: `user${i}`, ip: `192.0.2.${i}` });
  await audit.shutdown();
  const lines = readFileSync(s.active, "utf8").split("\n");
  const at = lines.findIndex((l) => l.includes("login=user5,"));
  lines[at] = (lines[at] as string).replace("login=user5,", "login=admin,");
  writeFileSync(s.active, lines.join("\n"));
  const served = await startServe(t, ["--properties", s.props, "--key", s.key], s.dir);
  const { page } = await openPage(t);
  await page.goto(`${served.url}?event=ox.login`);
  await ready(page);
  await page.waitForSelector(".verify.findings");
  t.regex((await page.textContent("#verify")) ?? "", /^integrity: \d+ finding\(s\)$/);
  const flagged = await page.$$eval("#records tbody tr.flagged", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
  t.is(flagged.length, 1);
  t.is(flagged[0]?.[2], "admin");
  t.is(flagged[0]?.at(-1), `⚠ logs/audit.log:${at + 1}`);
  await page.click("#records tbody tr.flagged");
  await page.waitForSelector("#detail:not([hidden])");
  t.regex((await page.textContent("#detail-verify")) ?? "", /^integrity: modified: /);
  await shot(t, page, "verify.png");
});

browserTest("follow mode shows a record written after the page opened", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  const props = await buildFixture(dir);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page, errors } = await openPage(t);
  await page.goto(`${served.url}?event=ox.login`);
  await ready(page);
  const before = (await rows(page)).length;
  await page.check("#follow");
  await page.waitForSelector("body[data-follow=on]");
  t.regex(page.url(), /follow=1/);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  audit.log("ox.logout", { login: "late", timestamp: new Date() });
  audit.log("ox.login", { login: "late", ip: "203.0.113.50", timestamp: new Date() });
  await audit.shutdown();
  await page.waitForSelector("#records tbody tr.new");
  const table = await rows(page);
  t.is(table.length, before + 1);
  t.is(table[0]?.[1], "ox.login");
  t.true(table[0]?.includes("late"));
  t.regex((await page.textContent("#page-info")) ?? "", /, 1 new$/);
  t.deepEqual(errors, []);
});

browserTest("attributes named time and event get columns of their own (time#2, event#2); a link put in place of the active file is named, never shown", async (t) => {
  const dir = tempDir(t, "slf4ts-console-");
  await writeLog(dir, {}, [
    ["ox.login", { time: "yesterday", event: "spoofed", login: "anna", timestamp: new Date("2026-11-17T09:30:00Z") }],
    ["ox.login", { login: "ben", timestamp: new Date("2026-11-17T09:31:00Z") }],
  ]);
  const served = await startServe(t, ["--properties", "slf4j-auditlog.properties"], dir);
  const { page, errors } = await openPage(t);
  await page.goto(`${served.url}?order=asc`);
  await ready(page);
  const head = await page.$$eval("#records thead th", (ths) => ths.map((th) => th.textContent ?? ""));
  t.deepEqual(head, ["time ▲", "event", "time#2", "event#2", "login", "timestamp", "source"]);
  const table = await rows(page);
  t.deepEqual(table[0]?.slice(0, 5), ["2026-11-17T09:30:00Z", "ox.login", "yesterday", "spoofed", "anna"]);
  t.deepEqual(table[1]?.slice(0, 5), ["2026-11-17T09:31:00Z", "ox.login", "", "", "ben"]);
  // The active file replaced by a link to a file the reader may read: named, not shown.
  writeFileSync(join(dir, "secret.log"), "ox.login, login=TOPSECRET\n");
  renameSync(join(dir, "logs", "audit.log"), join(dir, "logs", "audit.log.1"));
  symlinkSync(join(dir, "secret.log"), join(dir, "logs", "audit.log"));
  await page.reload();
  await ready(page);
  t.false(((await page.textContent("body")) ?? "").includes("TOPSECRET"));
  t.regex((await page.textContent("#problems")) ?? "", /cannot read logs\/audit\.log \(a symbolic link, not a regular file: not followed or opened\)/);
  t.is((await rows(page)).length, 2);
  t.deepEqual(errors, []);
});
