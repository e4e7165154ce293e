/**
 * argv: lock path, how. A live process that owns the rotation lock at the path and keeps it
 * fresh until it is killed, as a hostile local user could:
 * - `fresh`: writes its own pid into the lock every 100 ms;
 * - `alternate`: every 20 ms writes the lock with another owner, by turns itself and pid 1 (alive,
 *   no start time to compare), so that every look sees the lock change hands: what real
 *   contention by co-writers looks like.
 */
import { writeFileSync } from "node:fs";

const [path, how] = process.argv.slice(2) as [string, string];
let i = 0;
const write = (text: string): void => {
  try {
    writeFileSync(path, text);
  } catch {
    // the test's folder may be gone already: keep going until killed
  }
};
const keep = how === "alternate" ? (): void => write(i++ % 2 ? "1 - x\n" : `${process.pid} - y\n`) : (): void => write(String(process.pid));
keep();
setInterval(keep, how === "alternate" ? 20 : 100);
