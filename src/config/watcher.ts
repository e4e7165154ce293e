/**
 * Notices changes to one file, including saves that replace it by rename, without keeping the
 * process alive.
 */
import { watch, watchFile, unwatchFile, type FSWatcher, type StatWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Calls `onChange` (debounced) after the file changes. Two mechanisms work together: an
 * `fs.watch` on the folder (fast, sees a rename over the file) and `fs.watchFile` polling every
 * `intervalMs` (reliable on every file system). Neither keeps the event loop alive.
 *
 * @returns a function that stops watching.
 * @example
 * ```ts
 * const stop = watchPath("/etc/app/slf4j-auditlog.properties", () => reload(), 500);
 * ```
 */
export function watchPath(path: string, onChange: () => void, intervalMs = 500, debounceMs = 50): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const trigger = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) onChange();
    }, debounceMs);
    timer.unref();
  };
  const name = basename(path);
  let dirWatcher: FSWatcher | undefined;
  try {
    dirWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (filename === null || filename === name) trigger();
    });
    dirWatcher.on("error", () => {
      dirWatcher?.close();
      dirWatcher = undefined;
    });
  } catch {
    dirWatcher = undefined; // polling alone still works
  }
  const statWatcher: StatWatcher = watchFile(path, { persistent: false, interval: intervalMs }, trigger);
  void statWatcher;
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    dirWatcher?.close();
    unwatchFile(path, trigger);
  };
}
