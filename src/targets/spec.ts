/**
 * The validated settings of a named target ({@link TargetSpec}), as `config/targets.ts` builds
 * them from the `target.<name>.<option>` keys and the targets consume them.
 *
 * @module
 */
import type { Level } from "../facade/level.js";
import type { LayoutEvent } from "../layout/pattern.js";
import type { EcsCategorization } from "../format/ecs.js";
import type { MessageTemplate } from "../format/template.js";

/** The kinds of target. */
export type TargetType = "syslog" | "tcp" | "gelf" | "file" | "console";
/** The formats a target writes. */
export type TargetFormat = "rfc5424" | "rfc3164" | "plain" | "json" | "gelf" | "ecs";
/** How syslog records are delimited on a TCP or TLS stream. */
export type TargetFraming = "octet-counting" | "newline";
/** How a remote target sends (`relp`: syslog over RELP, acknowledged; over TLS with `relp.tls`). */
export type TargetProtocol = "udp" | "tcp" | "tls" | "relp";

/** A RELP target's session: TLS or not, the window of unanswered records, and the bound on every wait. */
export interface TargetRelp {
  /** Whether the session runs over TLS (with the `tls.*` options). */
  readonly tls: boolean;
  /** At most this many records sent and not yet acknowledged. */
  readonly window: number;
  /** The bound on the connection, the `open` handshake and each wait for an acknowledgement (milliseconds). */
  readonly timeoutMs: number;
}

/** A file target's file: absolute path, rotation size, archives kept, compression and age limit. */
export interface TargetFile {
  readonly path: string;
  readonly maxSize: number;
  readonly maxArchives: number;
  readonly compress: boolean;
  readonly maxAgeDays: number;
}

/** A console target's stream: which of the process's standard streams, and how long `log()` may wait for it. */
export interface TargetConsole {
  /** `stdout` (file descriptor 1) or `stderr` (2). */
  readonly stream: "stdout" | "stderr";
  /** How long one `log()` may wait for a full pipe before records wait in memory instead (milliseconds). */
  readonly blockMs: number;
}

/** The settings every target has, whatever its type and format. */
export interface TargetCommon {
  /** The name in `target.<name>.`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** format=plain: the layout pattern. */
  readonly pattern: string;
  /** The level of records on this target, or undefined for the level key. */
  readonly level: Level | undefined;
  /** Whether an event id goes to this target (include and exclude). */
  readonly accepts: (eventId: string) => boolean;
  readonly rateLimit: { readonly count: number; readonly intervalMs: number; readonly applies: (eventId: string) => boolean } | undefined;
  readonly facility: number;
  readonly appName: string;
  readonly hostname: string;
  readonly maxBytes: number;
  /** syslog over tcp/tls: RFC 6587 octet counting (default) or a newline after each record (line breaks in values escaped). */
  readonly framing: TargetFraming;
  /** rfc5424: the SD-ID of the audit SD-ELEMENT (`name@<enterprise number>`). */
  readonly sdId: string;
  /** rfc5424: whether each message carries `[meta sequenceId=…]`. */
  readonly sequenceId: boolean;
  /** rfc5424: the `[origin …]` element, or undefined for none. */
  readonly origin: { readonly software: string; readonly swVersion: string | undefined } | undefined;
  /** rfc3164: the zone of the timestamp, or undefined for the process's local time zone. */
  readonly timezone: { readonly id: string; offsetMinutesAt(epochMillis: number): number } | undefined;
  readonly compress: "none" | "gzip" | "zlib";
  readonly chunkSize: number;
  /** Static fields (`field.<name>=value`), in name order: written by the json, ecs and gelf formats. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** gelf: the `short_message` template (undefined: the event id). */
  readonly shortMessage: MessageTemplate | undefined;
  /** gelf: the `full_message` template (undefined: no full_message). */
  readonly fullMessage: MessageTemplate | undefined;
  /** ecs: the event table (`ecs.event.<glob>`, then the shipped defaults). */
  readonly ecsEvents: (eventId: string) => EcsCategorization | undefined;
  /** TLS: the context built from the CA, certificate and key files (checked when the configuration is applied), and options. */
  readonly tls: {
    /** A `tls.SecureContext` (typed opaquely so the declarations need no Node types). */
    readonly secureContext: object | undefined;
    readonly servername: string;
    readonly insecure: boolean;
  };
  readonly bufferSize: number;
  /** Absolute folder of the spool, or undefined. */
  readonly spool: string | undefined;
  readonly spoolMaxBytes: number;
  readonly resendMs: number;
  /** tcp/tls: how long a write may wait for the operating system before the connection counts as stalled. */
  readonly stallMs: number;
  /** `integrity=on`: the target carries the chain's lines (records with their chain field, and the checkpoints) as the file holds them, instead of its own rendering. */
  readonly integrity: boolean;
  /** Canonical text of the settings: a target whose fingerprint is unchanged by a reload keeps its connection. */
  readonly fingerprint: string;
}

/** What differs by type: a file target has its file, a console target its stream, the others neither. */
export type TargetByType =
  | { readonly type: "file"; readonly file: TargetFile; readonly console: undefined }
  | { readonly type: "console"; readonly file: undefined; readonly console: TargetConsole }
  | { readonly type: Exclude<TargetType, "file" | "console">; readonly file: undefined; readonly console: undefined };

/** What differs by format: format=plain has its compiled layout, the others have none. */
export type TargetByFormat =
  | { readonly format: "plain"; readonly layout: (event: LayoutEvent) => string }
  | { readonly format: Exclude<TargetFormat, "plain">; readonly layout: undefined };

/** What differs by protocol: a RELP target has its session settings, the others none. */
export type TargetByProtocol =
  | { readonly protocol: "relp"; readonly relp: TargetRelp }
  | { readonly protocol: Exclude<TargetProtocol, "relp">; readonly relp: undefined };

/**
 * The validated settings of one target: a union on the type (`file` only for file targets,
 * `console` only for console targets)
 * and on the format (`layout` only for format=plain), and on the protocol (`relp` only for RELP),
 * so the compiler knows which exist.
 */
export type TargetSpec = TargetCommon & TargetByType & TargetByFormat & TargetByProtocol;
