/**
 * The Kubernetes recipe of docs/containers.md: the properties file in a ConfigMap mounted as a
 * volume. The kubelet never writes the file in place: it writes a new timestamped folder, points
 * a new `..data_tmp` link at it, renames that over `..data` and removes the old folder; the file
 * itself is a link `slf4j-auditlog.properties -> ..data/slf4j-auditlog.properties`. The watcher
 * must see that swap (twice), without waiting for its slow poll.
 */
import test from "ava";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { captureStatus, P, readLines, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

const NAME = "slf4j-auditlog.properties";

/** The kubelet's atomic writer: a timestamped folder, then `..data` swapped by rename, the old folder removed. */
class ConfigMapVolume {
  private current: string | undefined;
  private generation = 0;

  constructor(readonly dir: string) {}

  /** The path the application is given. */
  get file(): string {
    return join(this.dir, NAME);
  }

  /** Publishes `text` as the ConfigMap's new content, exactly as the kubelet does. */
  publish(text: string): void {
    this.generation++;
    const stamp = `..2026_12_03_20_0${this.generation}_00.00000000${this.generation}`;
    mkdirSync(join(this.dir, stamp));
    writeFileSync(join(this.dir, stamp, NAME), text);
    symlinkSync(stamp, join(this.dir, "..data_tmp"));
    renameSync(join(this.dir, "..data_tmp"), join(this.dir, "..data"));
    if (this.current === undefined) symlinkSync(join("..data", NAME), this.file);
    else rmSync(join(this.dir, this.current), { recursive: true, force: true });
    this.current = stamp;
  }
}

function properties(dir: string, delimiter: string): string {
  return [`${P}enabled=true`, `${P}file.location=${join(dir, "audit.log")}`, `${P}delimiter=${delimiter}`, ""].join("\n");
}

test("a ConfigMap volume: each ..data swap of the kubelet is applied, seen by fs.watch alone (the poll is 10 minutes)", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const logs = tempDir(t);
  const volume = new ConfigMapVolume(dir);
  volume.publish(properties(logs, "|"));
  const audit = testService(t);
  await audit.configure({ propertiesFile: volume.file, watch: true, pollIntervalMs: 600_000, reloadSettleMs: 50, reloadConfirmMs: 0 });
  audit.log("ox.login", { seq: 1 });
  const applied = audit.stats().reloads;

  volume.publish(properties(logs, ";"));
  t.true(await waitFor(() => audit.stats().reloads === applied + 1, 10_000), "the first swap was not applied");
  audit.log("ox.login", { seq: 2 });

  volume.publish(properties(logs, "#"));
  t.true(await waitFor(() => audit.stats().reloads === applied + 2, 10_000), "the second swap was not applied");
  audit.log("ox.login", { seq: 3 });
  await audit.flush();

  const lines = readLines(join(logs, "audit.log"));
  t.is(lines.length, 3);
  t.regex(lines[0] as string, /ox\.login\|seq=1$/);
  t.regex(lines[1] as string, /ox\.login;seq=2$/);
  t.regex(lines[2] as string, /ox\.login#seq=3$/);
});
