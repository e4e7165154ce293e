/**
 * Start-up memory: the first use of `Intl`'s locale or zone data loads ICU's data into the
 * process (6–8 MB of RSS on Node 20), which issue 15's "peak RSS under 100 MB" cannot afford
 * for nothing. Dedicated mode with ISO-8601 dates (the default) needs none of it. The spy runs
 * in a child process of its own (test/programs/intl-spy-child.ts), where nothing else has
 * touched `Intl`.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { readLines, tempDir } from "./lib/helpers.js";

const child = fileURLToPath(new URL("./programs/intl-spy-child.js", import.meta.url));
const P = "com.openexchange.log.audit.slf4j.";

function spy(file: string, extra: Readonly<Record<string, string>> = {}): { calls: string[]; luxon: boolean } {
  const out = execFileSync(process.execPath, [child, file, JSON.stringify(extra)], { encoding: "utf8", timeout: 30_000 });
  return JSON.parse(out) as { calls: string[]; luxon: boolean };
}

function run(file: string, extra: Readonly<Record<string, string>> = {}): string[] {
  return spy(file, extra).calls;
}

test("dedicated mode with ISO dates (the default, date.locale en_US) never asks Intl for locale data", (t) => {
  const file = join(tempDir(t), "audit.log");
  t.deepEqual(run(file), []);
  t.deepEqual(readLines(file), ["ox.login, login=thorben, ip=::1, timestamp=2016-06-10T10:31:10Z", "ox.count, n=1234567.5, big=100000000000000000000", "ox.logout, login=thorben"]);
});

test("date.locale=en_US written out is the default: still no Intl", (t) => {
  const file = join(tempDir(t), "audit.log");
  t.deepEqual(run(file, { [`${P}date.locale`]: "en_US" }), []);
});

test("the spy sees Intl when a locale is used: date.locale=de_DE is checked against ICU's data, and a German date pattern uses it", (t) => {
  const file = join(tempDir(t), "audit.log");
  const checked = run(file, { [`${P}date.locale`]: "de_DE" });
  t.true(checked.includes("Intl.DateTimeFormat.supportedLocalesOf"), checked.join(", "));
  const used = run(file, { [`${P}date.locale`]: "de_DE", [`${P}date.pattern`]: "d. MMMM yyyy" });
  t.true(used.includes("new Intl.DateTimeFormat"), used.join(", "));
  t.true(readLines(file).includes("ox.login, login=thorben, ip=::1, timestamp=10. Juni 2016"));
});

test("luxon is loaded only for a Java date pattern (its zones and week rules): not for ISO dates", (t) => {
  const file = join(tempDir(t), "audit.log");
  t.false(spy(file).luxon);
  t.true(spy(file, { [`${P}date.pattern`]: "yyyy-MM-dd HH:mm z", [`${P}date.timezone`]: "Europe/Berlin" }).luxon);
  t.true(readLines(file).includes("ox.login, login=thorben, ip=::1, timestamp=2016-06-10 12:31 CEST"), readLines(file).join("\n"));
});
