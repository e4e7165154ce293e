/**
 * checkLocation (src/output/location.ts) with a file system that changes between two of its
 * calls, as it does when other processes write and rotate the same audit file: the active file
 * renamed aside after it was looked at and before its permissions were asked. Seen in CI with
 * four processes configuring at once (`multiprocess` test): `configure()` refused the location
 * with "this process may not write it (ENOENT …)".
 */
import test from "ava";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkLocation, NODE_LOCATION_FILE_SYSTEM, type LocationFileSystem } from "../src/output/location.js";
import { tempDir } from "./lib/helpers.js";

/** The real file system, with `between` run after the path itself was looked at (lstat) and before the next call. */
function racing(path: string, between: () => void): LocationFileSystem {
  let done = false;
  return {
    ...NODE_LOCATION_FILE_SYSTEM,
    lstatSync(p) {
      const stat = NODE_LOCATION_FILE_SYSTEM.lstatSync(p);
      if (p === path && !done) {
        done = true;
        between();
      }
      return stat;
    },
  };
}

test("an audit file rotated away by another process while it is checked is judged by its folder, not refused", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "logs"));
  const path = join(dir, "logs", "audit.log");
  writeFileSync(path, "r1\n");
  const fs = racing(path, () => renameSync(path, `${path}.1`));
  t.is(checkLocation(path, fs), undefined);
});

test("a file that goes away and leaves no folder is still refused, naming why", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "logs"));
  const path = join(dir, "logs", "audit.log");
  writeFileSync(path, "r1\n");
  // The folder is replaced by a file while the check runs: nothing can be created there.
  const fs = racing(path, () => {
    renameSync(join(dir, "logs"), join(dir, "gone"));
    writeFileSync(join(dir, "logs"), "in the way\n");
  });
  t.deepEqual(checkLocation(path, fs), { kind: "unusable", reason: `${join(dir, "logs")} is a file, not a folder` });
});
