/**
 * Where the configuration of an audit service comes from: a properties file (named in code or
 * by the `SLF4TS_AUDIT_PROPERTIES` environment variable) or properties given in code; and how a
 * watched file is followed: a change is applied once the file has settled, and a risky change
 * only after a second look (the settle/confirm logic).
 */
import { dirname, resolve } from "node:path";
import { Level } from "../facade/level.js";
import { decodePropertiesFile, parseProperties } from "../java/properties.js";
import type { ConfigProblem } from "../config/errors.js";
import type { PropertySource } from "../config/schema.js";
import { FileSettler, readSnapshot, sameSnapshot, watchPath, type FileSnapshot } from "../config/watcher.js";
import { StatusChannel } from "../status/status.js";

/** The options of `AuditLogServiceOptions` that say where the configuration comes from and how a file is watched (documented there). */
export interface SourceOptions {
  readonly propertiesFile?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly watch?: boolean;
  readonly pollIntervalMs?: number;
  readonly reloadSettleMs?: number;
  readonly reloadConfirmMs?: number;
}

/** How the properties file is watched. */
interface WatchOptions {
  readonly watch: boolean;
  readonly pollIntervalMs: number;
  readonly settleMs: number;
  readonly confirmMs: number;
}

const DEFAULT_WATCH: WatchOptions = { watch: true, pollIntervalMs: 500, settleMs: 500, confirmMs: 2000 };

/** A file that keeps changing is reported this often (and applied once it settles). */
const SETTLE_GIVE_UP_MS = 60_000;

function watchOptionsOf(options: SourceOptions): WatchOptions {
  const millis = (name: "pollIntervalMs" | "reloadSettleMs" | "reloadConfirmMs", fallback: number, min: number): number => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > 600_000) {
      throw new TypeError(`${name} must be a whole number of milliseconds from ${min} to 600000, got ${String(value)}`);
    }
    return value;
  };
  return {
    watch: options.watch ?? true,
    pollIntervalMs: millis("pollIntervalMs", DEFAULT_WATCH.pollIntervalMs, 1),
    settleMs: millis("reloadSettleMs", DEFAULT_WATCH.settleMs, 0),
    confirmMs: millis("reloadConfirmMs", DEFAULT_WATCH.confirmMs, 0),
  };
}

/** One read of the source: its properties, a text to compare with the last one applied, and the folder relative paths resolve against. */
export interface SourceRead {
  readonly properties: PropertySource[];
  readonly text: string;
  readonly baseDir: string;
}

/**
 * Applies what a watched file holds: `confirmed` when it is the second look at a risky change.
 * It reports its own problems (a throw is ignored).
 */
export type SourceLoader = (snapshot: FileSnapshot, confirmed: boolean) => void;

/**
 * The configuration source of one service: a file or properties in code, read on demand, and
 * the watcher of the file with its settle and confirmation timers.
 *
 * @example
 * ```ts
 * const source = new ConfigSource((snapshot, confirmed) => loadAndApply(false, snapshot, confirmed));
 * source.use({ propertiesFile: "/opt/app/etc/slf4j-auditlog.properties" });
 * const read = source.read(); // properties, or the problems of an unreadable or malformed file
 * source.watch();
 * ```
 */
export class ConfigSource {
  private file: string | undefined;
  private inline: Readonly<Record<string, string>> | undefined;
  private options: WatchOptions = DEFAULT_WATCH;
  private stopWatching: (() => void) | undefined;
  private settler: FileSettler | undefined;
  /** A risky change waiting for its second look: the file as it settled, and the timer. */
  private pending: { readonly snapshot: FileSnapshot; readonly timer: NodeJS.Timeout } | undefined;

  /** @param load applies a settled (or confirmed) file. */
  constructor(private readonly load: SourceLoader) {}

  /** The properties file, resolved; undefined for properties in code. */
  get path(): string | undefined {
    return this.file;
  }

  /** How long a risky change waits for its second look (0: it does not). */
  get confirmMs(): number {
    return this.options.confirmMs;
  }

  /**
   * Stops watching and takes new options (checked first: a bad option, a programmer error,
   * throws a TypeError and changes nothing).
   */
  use(options: SourceOptions): void {
    const watchOptions = watchOptionsOf(options);
    this.cancelConfirmation();
    this.stop();
    this.options = watchOptions;
    if (options.propertiesFile !== undefined) {
      this.file = resolve(options.propertiesFile);
      this.inline = undefined;
    } else {
      this.file = undefined;
      this.inline = options.properties ?? {};
    }
  }

  /**
   * Takes the file named by the environment variable `variable` (`SLF4TS_AUDIT_PROPERTIES`),
   * keeping the watch options.
   * @returns false when the variable is not set (or blank), and nothing changed.
   */
  useEnvironment(variable: string): boolean {
    const file = process.env[variable];
    if (file === undefined || file.trim() === "") return false;
    this.file = resolve(file);
    this.inline = undefined;
    return true;
  }

  /** Reads the current source (a watched file's settled `snapshot` when given); returns its properties and a text to compare with the last one. */
  read(snapshot?: FileSnapshot): SourceRead | ConfigProblem[] {
    if (this.file === undefined) {
      const properties = Object.entries(this.inline ?? {}).map(([key, value]) => ({ key, value: String(value), line: undefined }));
      return { properties, text: JSON.stringify(properties), baseDir: process.cwd() };
    }
    // Read without blocking (a FIFO there must not stop the process) and checked to be a file.
    const read = snapshot ?? readSnapshot(this.file);
    if (!read.ok) {
      const why = read.code === "EFTYPE" ? "EFTYPE: not a regular file (a FIFO, socket, device or folder)" : read.code;
      return [{ key: undefined, value: undefined, line: undefined, expected: `cannot read the file (${why})` }];
    }
    const bytes = read.bytes;
    const decoded = decodePropertiesFile(bytes);
    if ("problem" in decoded) {
      return [{ key: undefined, value: undefined, line: decoded.problem.line, expected: decoded.problem.message }];
    }
    const parsed = parseProperties(decoded.text);
    if (parsed.problems.length > 0) {
      return parsed.problems.map((p) => ({ key: undefined, value: undefined, line: p.line, expected: p.message }));
    }
    const properties = parsed.entries.map((e) => ({ key: e.key, value: e.value, line: e.line }));
    return { properties, text: decoded.text, baseDir: dirname(this.file) };
  }

  /** Watches the properties file, if there is one, watching is on and it is not watched yet. */
  watch(): void {
    const path = this.file;
    if (path === undefined || !this.options.watch || this.stopWatching !== undefined) return;
    const { settleMs, pollIntervalMs } = this.options;
    const settler = new FileSettler(
      path,
      { settleMs, stepMs: Math.min(100, Math.max(10, Math.floor(settleMs / 5))), maxWaitMs: SETTLE_GIVE_UP_MS },
      (snapshot) => this.onFileSettled(snapshot),
      (waited) => StatusChannel.report("CONFIG_WARNING", Level.WARN, `${path} has kept changing for ${Math.round(waited / 1000)} s; not applied yet (it is applied once it stays the same for ${settleMs} ms; the last good configuration stays in force meanwhile)`),
    );
    const stop = watchPath(path, () => this.onFileChanged(), pollIntervalMs);
    this.settler = settler;
    this.stopWatching = () => {
      stop();
      settler.cancel();
      this.cancelConfirmation();
      if (this.settler === settler) this.settler = undefined;
    };
  }

  /** Stops watching (and drops a change waiting for confirmation). */
  stop(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
  }

  /** A change was seen: whatever waited for confirmation is void (if the file differs now); wait for the file to settle. */
  private onFileChanged(): void {
    if (this.pending !== undefined) {
      // An event without a change (an access time, say) does not start the wait over.
      if (sameSnapshot(this.pending.snapshot, readSnapshot(this.file as string))) return;
      this.cancelConfirmation();
    }
    this.settler?.changed();
  }

  /**
   * The file has read the same for the settle period. An empty file is not applied (a writer
   * that truncates first is the usual cause); anything else is validated, and applied unless
   * it needs confirmation (see `riskyChange`).
   */
  private onFileSettled(snapshot: FileSnapshot): void {
    if (snapshot.ok && snapshot.bytes.toString("latin1").trim() === "") {
      StatusChannel.report("CONFIG_WARNING", Level.WARN, `${this.file ?? ""} is empty; not applied (the last good configuration stays in force; write enabled=false to turn audit logging off)`);
      return;
    }
    try {
      this.load(snapshot, false);
    } catch {
      // Already reported on the status channel; the last good configuration stays.
    }
  }

  /**
   * A settled file would make a risky change: look again after the confirmation delay and apply
   * it only if the file is still exactly the same; any change meanwhile starts over.
   */
  awaitConfirmation(snapshot: FileSnapshot, risk: string): void {
    this.cancelConfirmation();
    const path = this.file as string;
    const { confirmMs } = this.options;
    StatusChannel.report(
      "CONFIG_PENDING",
      Level.INFO,
      `${path}: the new configuration waits ${confirmMs} ms and is applied only if the file is still the same then, because ${risk} (a file read half-written must not do that; write it by atomic rename)`,
    );
    const timer = setTimeout(() => {
      this.pending = undefined;
      const again = readSnapshot(path);
      if (!sameSnapshot(snapshot, again)) {
        this.settler?.changed();
        return;
      }
      try {
        this.load(again, true);
      } catch {
        // Already reported on the status channel; the last good configuration stays.
      }
    }, confirmMs);
    timer.unref();
    this.pending = { snapshot, timer };
  }

  /** Drops a change waiting for its second look. */
  cancelConfirmation(): void {
    if (this.pending !== undefined) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }
}
