/**
 * argv: file, every (ms), for (ms), last. Rewrites `file` in place with `n=<i>` every `every` ms
 * for `for` ms, then writes `last` and exits. The watcher tests run it in another process, so
 * that a stall of the test's event loop cannot look like a pause of the writer.
 */
import { writeFileSync } from "node:fs";

const [file, every, duration, last] = process.argv.slice(2) as [string, string, string, string];
const end = Date.now() + Number(duration);
for (let i = 0; Date.now() < end; i++) {
  writeFileSync(file, `n=${i}\n`);
  await new Promise((resolve) => setTimeout(resolve, Number(every)));
}
writeFileSync(file, last);
