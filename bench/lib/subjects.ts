/**
 * The subjects every scenario draws from: slf4ts in its configurations, the peers named in
 * issue 3 and the bare baselines. Each one writes the records of ./records.ts into its own
 * folder; peers get the same values (see records.ts) and their own line format.
 */
import { fork, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { groupDigits } from "./digits.js";
import { closeSync, openSync, writeSync } from "node:fs";
import { once } from "node:events";
import { createRequire } from "node:module";
import { join } from "node:path";
import type pinoModule from "pino";
import { AUDIT_LOGGER_NAME } from "../../src/audit/names.js";
import type { OffPathReport, RecordSubject, Sink, Skip } from "./harness.js";
import type { ReceiverReport } from "../receiver.js";
import { CLIENT, EVENT_ID, IP, jsonAttributes, loginOf, oxAttributes, oxLine, sessionOf } from "./records.js";
import { ISO_MILLIS, ISO_TIMESTAMP } from "./verify.js";

const P = "com.openexchange.log.audit.slf4j.";
const MiB = 1024 * 1024;
/** The rotation of issue 3: 10 MiB per file, 5 archives. */
export const ROTATE_BYTES = 10 * MiB;
export const ROTATE_ARCHIVES = 5;
/** Slow peers write at most this many records by default (BENCH_SLOW_RECORDS changes it). */
export const SLOW_RECORDS = Number(process.env["BENCH_SLOW_RECORDS"] ?? 250_000);

// pino-roll ships no type declarations; the part used here.
type PinoRoll = (options: { file: string; size: string; limit: { count: number }; mkdir: boolean }) => Promise<pinoModule.DestinationStream & NodeJS.EventEmitter & { end(): void }>;
const require = createRequire(import.meta.url);

// Peers are loaded only in the child that measures them, so no child carries another's modules;
// nor does slf4ts load in the children of the peers and baselines (its modules weigh about 15 MB of
// RSS, which the baselines' peak RSS used to carry).
const loadSlf4ts = () => import("../../src/index.js");
const loadLog4js = async () => (await import("log4js")).default;
const loadPino = async () => (await import("pino")).default;

/** Closes a sonic-boom destination (pino's) and resolves once its descriptor is closed. */
async function closeSonic(dest: NodeJS.EventEmitter & { end(): void }): Promise<void> {
  const closed = once(dest, "close");
  dest.end();
  await closed;
}

/** Options of an slf4ts dedicated-mode subject. */
export interface Slf4tsOptions {
  readonly id: string;
  readonly label: string;
  /** file.size, e.g. "10MB". */
  readonly size?: string;
  readonly sizeBytes?: number;
  /** file.count. */
  readonly count?: number;
  /** date.pattern, date.locale, date.timezone. */
  readonly date?: { readonly pattern: string; readonly locale: string; readonly timezone: string; readonly looksLike: RegExp };
  /** More properties (full keys), e.g. the batched durability of scenario 6. */
  readonly extra?: Readonly<Record<string, string>>;
  /** Keys of `extra` that may not exist yet: a ConfigError naming one of them skips the subject. */
  readonly notYetImplemented?: readonly string[];
  /** Caps the record count (fsync per record is slow); the report says so. */
  readonly maxRecords?: number;
}

/** slf4ts in dedicated mode: its own rotated files. */
export function slf4tsDedicated(o: Slf4tsOptions): RecordSubject {
  const size = o.size ?? "10MB";
  const sizeBytes = o.sizeBytes ?? ROTATE_BYTES;
  const count = o.count ?? ROTATE_ARCHIVES;
  return {
    kind: "records",
    id: o.id,
    label: o.label,
    role: "slf4ts",
    ...(o.maxRecords === undefined ? {} : { maxRecords: o.maxRecords }),
    verify: { format: "ox", timestamp: o.date?.looksLike ?? ISO_TIMESTAMP, rotation: { maxFiles: count + 1, maxBytes: sizeBytes } },
    async start(dir: string): Promise<Sink | Skip> {
      const { ConfigError, createAuditLogService } = await loadSlf4ts();
      const svc = createAuditLogService();
      const properties: Record<string, string> = {
        [`${P}enabled`]: "true",
        [`${P}delimiter`]: '"|"',
        [`${P}file.location`]: join(dir, "audit.log"),
        [`${P}file.size`]: size,
        [`${P}file.count`]: String(count),
        ...(o.date === undefined
          ? {}
          : { [`${P}date.pattern`]: o.date.pattern, [`${P}date.locale`]: o.date.locale, [`${P}date.timezone`]: o.date.timezone }),
        ...o.extra,
      };
      try {
        await svc.configure({ properties, watch: false });
      } catch (error) {
        const pending = o.notYetImplemented ?? [];
        if (error instanceof ConfigError && error.problems.length > 0 && error.problems.every((p) => pending.includes(p.key ?? ""))) {
          return { skipped: `not implemented yet: configure() rejects ${error.problems.map((p) => (p.key ?? "").replace(P, "")).join(", ")} (${error.problems[0]?.expected.replace(/; expected one of.*/, "")})` };
        }
        throw error;
      }
      return {
        log: (seq, date) => svc.log(EVENT_ID, oxAttributes(seq, date)),
        finish: async () => {
          await svc.flush();
          await svc.shutdown();
        },
      };
    },
  };
}

/** How long scenario 9 waits for the receiver to have every record after the loop (a bound, not a figure). */
const DELIVERY_TIMEOUT_MS = 120_000;
/** slf4ts counts a TCP connection's records as sent once it has stayed up 2 s (targets/transport.ts). */
const CONNECTION_VERIFIED_MS = 2_500;
/** The file target's rotation in scenario 9: large enough that it keeps every record of a run. */
export const TARGET_FILE_BYTES = 100 * MiB;
export const TARGET_FILE_ARCHIVES = 5;

/** The CPU priority of scenario 9's receiver (see {@link Receiver.start}). */
export const RECEIVER_NICE = 19;

/** The receiver of scenario 9 (bench/receiver.ts) in its own process. */
class Receiver {
  private readonly waiting = new Map<string, (message: Record<string, unknown>) => void>();
  private constructor(private readonly child: ChildProcess) {
    child.on("message", (message: Record<string, unknown>) => {
      const type = String(message["type"]);
      const resolve = this.waiting.get(type);
      this.waiting.delete(type);
      resolve?.(message);
    });
  }

  /** Resolves with the next message of `type` from the receiver, or undefined after `timeoutMs`. */
  next(type: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(type);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(type, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /** Forks the receiver for `records` records, at {@link RECEIVER_NICE}; resolves with it and its port. */
  static async start(records: number): Promise<{ receiver: Receiver; port: number }> {
    // Without the measured child's flags: a --cpu-prof of its own would overwrite the child's profile.
    const child = fork(new URL("../receiver.js", import.meta.url), [String(records)], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: [] });
    // It stands for a receiver on another machine: at the lowest CPU priority (nice 19), it takes
    // the cores only when the process measured leaves them (on 2 cores it otherwise competes with
    // it and with its garbage collector's threads). It still gets and checks every record.
    // BENCH_RECEIVER_NICE=0 measures it at the default priority.
    const nice = Number(process.env["BENCH_RECEIVER_NICE"] ?? RECEIVER_NICE);
    if (child.pid !== undefined && Number.isInteger(nice)) {
      try {
        setPriority(child.pid, nice);
      } catch {
        // A lower nice value than the harness's own is not allowed to everyone: the default priority.
      }
    }
    const receiver = new Receiver(child);
    const listening = await receiver.next("listening", 10_000);
    if (listening === undefined) {
      child.kill();
      throw new Error("the receiver did not listen within 10 s");
    }
    return { receiver, port: Number(listening["port"]) };
  }

  async report(): Promise<ReceiverReport | undefined> {
    const reply = this.next("report", 10_000);
    this.child.send({ type: "report" });
    return (await reply) as ReceiverReport | undefined;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Scenario 9: slf4ts dedicated mode as scenario 1, plus a syslog target (RFC 5424 over TCP,
 * octet-counted) to a receiver in another process and a `json` file target. `finish()` waits
 * until the receiver has every record and both targets count every record as sent, and reports
 * when that was, the receiver's CPU and what was checked.
 */
export function slf4tsTargets(o: { id: string; label: string }): RecordSubject {
  return {
    kind: "records",
    id: o.id,
    label: o.label,
    role: "slf4ts",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES + 1, maxBytes: ROTATE_BYTES } },
    alsoVerify: [
      {
        folder: "json",
        label: "file target",
        spec: { format: "slf4ts-json", timestamp: ISO_MILLIS, rotation: { maxFiles: TARGET_FILE_ARCHIVES + 1, maxBytes: TARGET_FILE_BYTES } },
      },
    ],
    async start(dir: string, records: number): Promise<Sink> {
      const { createAuditLogService } = await loadSlf4ts();
      const { receiver, port } = await Receiver.start(records);
      const svc = createAuditLogService();
      try {
        await svc.configure({
          properties: {
            [`${P}enabled`]: "true",
            [`${P}delimiter`]: '"|"',
            [`${P}file.location`]: join(dir, "audit.log"),
            [`${P}file.size`]: "10MB",
            [`${P}file.count`]: String(ROTATE_ARCHIVES),
            [`${P}target.siem.type`]: "syslog",
            [`${P}target.siem.protocol`]: "tcp",
            [`${P}target.siem.host`]: "127.0.0.1",
            [`${P}target.siem.port`]: String(port),
            [`${P}target.file.type`]: "file",
            [`${P}target.file.format`]: "json",
            [`${P}target.file.path`]: join(dir, "json", "audit.json"),
            [`${P}target.file.size`]: String(TARGET_FILE_BYTES),
            [`${P}target.file.count`]: String(TARGET_FILE_ARCHIVES),
          },
          watch: false,
        });
        // A running server's connection is established and verified long before: so is this one
        // before the clock starts (slf4ts counts a connection's records once it stayed up 2 s).
        const connectedBy = Date.now() + 10_000;
        while (svc.stats().targets.some((t) => !t.connected)) {
          if (Date.now() > connectedBy) throw new Error(`a target did not connect within 10 s: ${JSON.stringify(svc.stats().targets)}`);
          await sleep(10);
        }
        await sleep(CONNECTION_VERIFIED_MS);
      } catch (error) {
        receiver.stop();
        await svc.shutdown();
        throw error;
      }
      const complete = receiver.next("complete", DELIVERY_TIMEOUT_MS);
      return {
        log: (seq, date) => svc.log(EVENT_ID, oxAttributes(seq, date)),
        finish: async (): Promise<OffPathReport> => {
          const problems: string[] = [];
          await svc.flush();
          const done = await complete;
          if (done === undefined) problems.push(`the receiver did not have every record within ${DELIVERY_TIMEOUT_MS / 1000} s of the last log() call`);
          // The targets' own counters must agree (bounded: a target that never counts them fails).
          const countedBy = Date.now() + 10_000;
          let targets = svc.stats().targets;
          while (targets.some((t) => t.sent < records) && Date.now() < countedBy) {
            await sleep(10);
            targets = svc.stats().targets;
          }
          await svc.shutdown();
          const report = await receiver.report();
          receiver.stop();
          const checks: string[] = [];
          for (const t of targets) {
            const line = `${t.name} (${t.type}, ${t.destination.replace(dir, "…")}): sent ${groupDigits(t.sent)}, dropped ${t.dropped}, errors ${t.errors}`;
            if (t.sent !== records || t.dropped !== 0 || t.errors !== 0) problems.push(`stats() of target ${line}, expected sent ${records}`);
            else checks.push(`stats() ${line}`);
          }
          if (report === undefined) {
            problems.push("the receiver did not report");
          } else {
            const line =
              `receiver: ${groupDigits(report.distinct)} of ${groupDigits(records)} records, ${groupDigits(report.frames)} frames, ` +
              `${report.duplicates} duplicate(s), ${report.malformed} malformed, ${report.outOfOrder} out of order, ${(report.bytes / MiB).toFixed(1)} MiB over ${report.connections} connection(s)`;
            if (report.distinct !== records || report.duplicates !== 0 || report.malformed !== 0 || report.outOfOrder !== 0) {
              problems.push(line + (report.examples.length > 0 ? ` (e.g. ${report.examples.join("; ")})` : ""));
            } else {
              checks.push(line + ", each one exactly the record logged");
            }
          }
          const lastAt = report === undefined ? 0n : BigInt(report.lastAtNs);
          const deliveredAtNs = done === undefined ? process.hrtime.bigint() : BigInt(String(done["atNs"]));
          return { deliveredAtNs: deliveredAtNs > lastAt ? deliveredAtNs : lastAt, receiverCpuNs: (report?.cpuUs ?? 0) * 1000, checks, problems };
        },
      };
    },
  };
}

/** log4js's configuration for scenario 4: a fileSync appender writing the message alone. */
async function configureLog4jsFileSync(path: string, category: string): Promise<void> {
  const log4js = await loadLog4js();
  log4js.configure({
    appenders: {
      audit: { type: "fileSync", filename: path, maxLogSize: ROTATE_BYTES, backups: ROTATE_ARCHIVES, layout: { type: "pattern", pattern: "%m" } },
    },
    categories: {
      default: { appenders: ["audit"], level: "off" },
      [category]: { appenders: ["audit"], level: "info" },
    },
  });
}

const shutdownLog4js = async (): Promise<void> => {
  const log4js = await loadLog4js();
  await new Promise<void>((resolve) => log4js.shutdown(() => resolve()));
};

/** slf4ts in standard mode: records go through the facade's log4js binding (scenario 4). */
export function slf4tsStandard(): RecordSubject {
  return {
    kind: "records",
    id: "slf4ts-standard",
    label: "slf4ts standard mode → log4js fileSync",
    role: "slf4ts",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES + 1, nominalBytes: ROTATE_BYTES } },
    async start(dir: string): Promise<Sink> {
      await configureLog4jsFileSync(join(dir, "audit.log"), AUDIT_LOGGER_NAME);
      const { createAuditLogService } = await loadSlf4ts();
      const svc = createAuditLogService();
      await svc.configure({ properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"' }, watch: false });
      return {
        log: (seq, date) => svc.log(EVENT_ID, oxAttributes(seq, date)),
        finish: async () => {
          await svc.shutdown();
          await shutdownLog4js();
        },
      };
    },
  };
}

/** log4js used directly with the same appender and layout as {@link slf4tsStandard}. */
export function log4jsDirect(): RecordSubject {
  return {
    kind: "records",
    id: "log4js-direct",
    label: "log4js fileSync used directly (same appender)",
    role: "peer",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES + 1, nominalBytes: ROTATE_BYTES } },
    async start(dir: string): Promise<Sink> {
      await configureLog4jsFileSync(join(dir, "audit.log"), AUDIT_LOGGER_NAME);
      const logger = (await loadLog4js()).getLogger(AUDIT_LOGGER_NAME);
      return {
        log: (seq, date) => logger.info(oxLine(seq, date)),
        finish: shutdownLog4js,
      };
    },
  };
}

/** `fs.writeSync` of each line: the limit for "on the OS when log() returns". */
export function baselineWriteSync(): RecordSubject {
  return {
    kind: "records",
    id: "writesync",
    label: "baseline: fs.writeSync per record",
    role: "baseline",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP },
    async start(dir: string): Promise<Sink> {
      const fd = openSync(join(dir, "audit.log"), "a");
      return {
        log: (seq, date) => {
          writeSync(fd, oxLine(seq, date) + "\n");
        },
        finish: async () => closeSync(fd),
      };
    },
  };
}

/**
 * The limit of issue 15: one `fs.writeSync` per record of its line, formatted before the clock
 * starts (the same bytes as {@link baselineWriteSync} writes, the timestamp that of the set-up),
 * so what is measured is the system call and nothing else. Holds every line in memory (about
 * 170 MB at a million records), so its peak RSS says nothing.
 */
export function baselineLimit(): RecordSubject {
  return {
    kind: "records",
    id: "limit",
    label: "limit: fs.writeSync per record of a preformatted line",
    role: "baseline",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP },
    async start(dir: string, records: number): Promise<Sink> {
      const fd = openSync(join(dir, "audit.log"), "a");
      const date = new Date();
      const lines: string[] = new Array<string>(records);
      // Flat strings (a concatenation is a rope until first used), as a formatter's output is.
      for (let i = 0; i < records; i++) lines[i] = Buffer.from(oxLine(i, date) + "\n").toString("latin1");
      return {
        log: (seq) => {
          writeSync(fd, lines[seq] as string);
        },
        finish: async () => closeSync(fd),
      };
    },
  };
}

/**
 * The naive logger of issue 15: concatenation, `toISOString()` for every record, one
 * `fs.writeSync` per record; no escaping, no rotation.
 */
export function baselineNaive(): RecordSubject {
  return {
    kind: "records",
    id: "naive",
    label: "naive logger: concatenation, toISOString, fs.writeSync",
    role: "baseline",
    verify: { format: "ox", timestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ },
    async start(dir: string): Promise<Sink> {
      const fd = openSync(join(dir, "audit.log"), "a");
      return {
        log: (seq, date) => {
          writeSync(
            fd,
            EVENT_ID + "|login=" + loginOf(seq) + "|ip=" + IP + "|client=" + CLIENT + "|session=" + sessionOf(seq) + "|timestamp=" + date.toISOString() + "\n",
          );
        },
        finish: async () => closeSync(fd),
      };
    },
  };
}

/** Lines gathered in a string and written with one `fs.writeSync` per 1000 records. */
export function baselineBatched(batch = 1000): RecordSubject {
  return {
    kind: "records",
    id: "batched",
    label: `baseline: batched, ${batch} records per fs.writeSync`,
    role: "baseline",
    verify: { format: "ox", timestamp: ISO_TIMESTAMP },
    async start(dir: string): Promise<Sink> {
      const fd = openSync(join(dir, "audit.log"), "a");
      let buffer = "";
      let n = 0;
      return {
        log: (seq, date) => {
          buffer += oxLine(seq, date) + "\n";
          if (++n === batch) {
            writeSync(fd, buffer);
            buffer = "";
            n = 0;
          }
        },
        finish: async () => {
          if (buffer !== "") writeSync(fd, buffer);
          closeSync(fd);
        },
      };
    },
  };
}

/** pino onto its sonic-boom destination, synchronous or not, no rotation. */
export function pinoDestination(sync: boolean): RecordSubject {
  return {
    kind: "records",
    id: sync ? "pino-sync" : "pino-async",
    label: `pino, ${sync ? "sync" : "async"} destination (no rotation)`,
    role: "peer",
    verify: { format: "json", timestamp: ISO_TIMESTAMP },
    async start(dir: string): Promise<Sink> {
      const pino = await loadPino();
      const dest = pino.destination({ dest: join(dir, "audit.log"), sync, mkdir: true });
      if (!sync) await once(dest as unknown as NodeJS.EventEmitter, "ready");
      const logger = pino({ base: null }, dest);
      return {
        log: (seq, date) => logger.info(jsonAttributes(seq, date), EVENT_ID),
        finish: () => closeSonic(dest as unknown as NodeJS.EventEmitter & { end(): void }),
      };
    },
  };
}

/** pino onto pino-roll (size 10m, 5 files besides the active one), in process. */
export function pinoRoll(): RecordSubject {
  return {
    kind: "records",
    id: "pino-roll",
    label: "pino-roll (10m, limit.count 5)",
    role: "peer",
    verify: { format: "json", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES + 1, nominalBytes: ROTATE_BYTES } },
    async start(dir: string): Promise<Sink> {
      const pino = await loadPino();
      const build = require("pino-roll") as PinoRoll;
      const dest = await build({ file: join(dir, "audit"), size: "10m", limit: { count: ROTATE_ARCHIVES }, mkdir: true });
      const logger = pino({ base: null }, dest);
      return {
        log: (seq, date) => logger.info(jsonAttributes(seq, date), EVENT_ID),
        finish: () => closeSonic(dest),
      };
    },
  };
}

/** log4js with its `fileSync` or `file` appender (10 MiB, 5 backups), message-only layout. */
export function log4jsAppender(type: "fileSync" | "file", options: { maxRecords?: number; maxLogSize?: number; backups?: number; id?: string } = {}): RecordSubject {
  const maxLogSize = options.maxLogSize ?? ROTATE_BYTES;
  const backups = options.backups ?? ROTATE_ARCHIVES;
  return {
    kind: "records",
    id: options.id ?? `log4js-${type.toLowerCase()}`,
    label: `log4js \`${type}\` appender (${maxLogSize >= MiB ? `${maxLogSize / MiB} MiB` : `${maxLogSize / 1024} KiB`}, ${backups} backups)`,
    role: "peer",
    ...(options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords }),
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: backups + 1, nominalBytes: maxLogSize } },
    async start(dir: string): Promise<Sink> {
      const log4js = await loadLog4js();
      log4js.configure({
        appenders: { audit: { type, filename: join(dir, "audit.log"), maxLogSize, backups, layout: { type: "pattern", pattern: "%m" } } },
        categories: { default: { appenders: ["audit"], level: "info" } },
      });
      const logger = log4js.getLogger("audit");
      return {
        log: (seq, date) => logger.info(oxLine(seq, date)),
        finish: shutdownLog4js,
      };
    },
  };
}

/** winston's File transport (maxsize 10 MiB, maxFiles 5: five files in all), message-only format. */
export function winstonFile(maxRecords: number | undefined): RecordSubject {
  return {
    kind: "records",
    id: "winston",
    label: "winston File transport (maxsize 10 MiB, maxFiles 5)",
    role: "peer",
    ...(maxRecords === undefined ? {} : { maxRecords }),
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES, nominalBytes: ROTATE_BYTES } },
    async start(dir: string): Promise<Sink> {
      const winston = (await import("winston")).default;
      const transport = new winston.transports.File({ filename: join(dir, "audit.log"), maxsize: ROTATE_BYTES, maxFiles: ROTATE_ARCHIVES });
      const logger = winston.createLogger({
        level: "info",
        format: winston.format.printf((info) => String(info.message)),
        transports: [transport],
      });
      return {
        log: (seq, date) => {
          logger.info(oxLine(seq, date));
        },
        finish: async () => {
          // winston's logger ends its transports in _final even while records still wait in
          // its own buffer ("write after end"), so let the pipe run dry first.
          while (logger.readableLength > 0 || logger.writableLength > 0) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          const finished = once(transport, "finish");
          logger.end();
          await finished;
        },
      };
    },
  };
}

/** rotating-file-stream (size 10M, maxFiles 5), one write() per record. */
export function rotatingFileStream(maxRecords: number | undefined): RecordSubject {
  return {
    kind: "records",
    id: "rfs",
    label: "rotating-file-stream (size 10M, maxFiles 5)",
    role: "peer",
    ...(maxRecords === undefined ? {} : { maxRecords }),
    verify: { format: "ox", timestamp: ISO_TIMESTAMP, rotation: { maxFiles: ROTATE_ARCHIVES + 1, nominalBytes: ROTATE_BYTES }, ignoreFiles: ["rfs-history.txt"] },
    async start(dir: string): Promise<Sink> {
      const rfs = await import("rotating-file-stream");
      const name = (time: number | Date | null, index?: number): string => (time === null ? "audit.log" : `audit.log.${index ?? 0}`);
      const stream = rfs.createStream(name, { path: dir, size: "10M", maxFiles: ROTATE_ARCHIVES, history: "rfs-history.txt" });
      await once(stream, "open");
      return {
        log: (seq, date) => {
          stream.write(oxLine(seq, date) + "\n");
        },
        finish: async () => {
          const finished = once(stream, "finish");
          stream.end();
          await finished;
        },
      };
    },
  };
}
