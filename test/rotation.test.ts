import test from "ava";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NODE_FILE_SYSTEM } from "../src/output/file-system.js";
import { lowestFreeNumber, shiftArchives } from "../src/output/rotation.js";
import { parseArchiveNames } from "../src/logfile/names.js";
import { tempDir } from "./lib/helpers.js";

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}

test("shiftArchives moves every archive up by one, plain and .gz in one numbering, deletes what passes the count, and the aside file becomes .1", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  for (const [name, text] of [["audit.log.rotating", "new"], ["audit.log.1", "a1"], ["audit.log.2.gz", "a2"], ["audit.log.3", "a3"], ["audit.log.3.gz", "a3z"], ["audit.log.4", "a4"]] as const) {
    writeFileSync(join(dir, name), text);
  }
  const listing = parseArchiveNames(path, readdirSync(dir));
  const next = shiftArchives(NODE_FILE_SYSTEM, path, `${path}.rotating`, listing.archives, 4);
  t.deepEqual(files(dir), { "audit.log.1": "new", "audit.log.2": "a1", "audit.log.3.gz": "a2", "audit.log.4": "a3", "audit.log.4.gz": "a3z" });
  t.deepEqual([...next].sort(([a], [b]) => a - b), [
    [1, { plain: true, gz: false }],
    [2, { plain: true, gz: false }],
    [3, { plain: false, gz: true }],
    [4, { plain: true, gz: true }],
  ]);
});

test("shiftArchives follows a listing that is behind: an archive compressed meanwhile by another process moves as .gz, a vanished one is skipped", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(join(dir, "audit.log.rotating"), "new");
  writeFileSync(join(dir, "audit.log.1.gz"), "a1z"); // the listing below still says plain
  const next = shiftArchives(NODE_FILE_SYSTEM, path, `${path}.rotating`, new Map([[1, { plain: true, gz: false }], [2, { plain: true, gz: false }]]), 9);
  t.deepEqual(files(dir), { "audit.log.1": "new", "audit.log.2.gz": "a1z" });
  t.deepEqual(next.get(2), { plain: false, gz: true });
  t.false(next.has(3));
});

test("shiftArchives throws a failure other than a missing file, and lowestFreeNumber finds the gap an interrupted rotation left", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(join(dir, "audit.log.1"), "a1");
  const failing = { ...NODE_FILE_SYSTEM, renameSync: () => { throw Object.assign(new Error("read-only"), { code: "EROFS" }); } };
  t.throws(() => shiftArchives(failing, path, `${path}.rotating`, new Map([[1, { plain: true, gz: false }]]), 9), { message: "read-only" });
  t.true(existsSync(join(dir, "audit.log.1")));
  t.is(lowestFreeNumber(new Map()), 1);
  t.is(lowestFreeNumber(new Map([[1, { plain: true, gz: false }], [2, { plain: false, gz: true }], [4, { plain: true, gz: false }]])), 3);
});
