/**
 * Encoding and framing of a target's records: the wire format of one event (RFC 5424, RFC 3164,
 * JSON, GELF, ECS, or a plain pattern), then the framing its transport needs: octet counting on
 * syslog streams (RFC 6587), none over RELP (the RELP session frames it), a NUL after each GELF message on TCP, a newline in files and on plain
 * streams, one record a line on the console, compression and chunking of GELF over UDP. The formats themselves live in `format/`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { deflateSync, gzipSync } from "node:zlib";
import { currentMdc } from "../facade/mdc.js";
import { formatEcs } from "../format/ecs.js";
import type { AuditEvent } from "../format/event.js";
import { encodeGelfWithin, formatGelf, gelfNulFrame, type GelfOptions } from "../format/gelf.js";
import { formatJson } from "../format/json.js";
import { compileRfc3164 } from "../format/rfc3164.js";
import { compileRfc5424, frameOctetCounting, sequenceCounter } from "../format/rfc5424.js";
import type { LayoutEvent } from "../layout/pattern.js";
import type { TargetSpec } from "./spec.js";

/** Turns one event into the bytes a target sends; `message` is the record's message (for plain layouts). */
export type Encoder = (event: AuditEvent, message: () => string) => Buffer;

/** What an encoder needs of a target's settings (the syslog options, static fields, templates and ECS event table may be left out: their defaults). */
export type EncodingSettings = Pick<TargetSpec, "name" | "type" | "protocol" | "format" | "facility" | "maxBytes" | "compress" | "chunkSize" | "layout"> &
  Partial<Pick<TargetSpec, "framing" | "sdId" | "sequenceId" | "origin" | "timezone" | "fields" | "shortMessage" | "fullMessage" | "ecsEvents">>;

/** Ends each text record with a newline (files, JSON and plain streams). */
function newline(text: string): Buffer {
  return Buffer.from(text + "\n", "utf8");
}

/**
 * One record a line for syslog formats on the console and with framing=newline: RFC 5424 lets an
 * SD-PARAM value hold a raw line break (octet counting frames it); here the formatter already
 * wrote it `\n` (`\r`), the record's own escape, so a collector that splits lines reads one
 * record. What is left (none from the formats) is escaped the same way, as a safety net.
 */
function oneLine(text: string): Buffer {
  return newline(text.includes("\n") || text.includes("\r") ? text.replace(/\r/g, "\\r").replace(/\n/g, "\\n") : text);
}

/**
 * Compiles the encoder of a target: its format, then its framing. `loggerName` is read per
 * record (it may change with a reload); a plain format needs the compiled `layout` of its spec.
 *
 * @example
 * ```ts
 * const encode = compileEncoder(spec, () => "com.openexchange.log.audit.AuditLogService");
 * transport.offer(encode(event, () => record.message));
 * ```
 */
export function compileEncoder(spec: EncodingSettings, loggerName: () => string, sequence: () => number = sequenceCounter()): Encoder {
  // Syslog on a stream is octet-counted, or (framing=newline) one record a line; on a console it
  // is one record a line; a datagram is bare. Over RELP the session frames each record itself
  // (the record is a command's DATA).
  const stream = spec.protocol !== "udp" && spec.protocol !== "relp" && spec.type !== "file";
  const framing = spec.type === "console" || (spec.framing === "newline" && stream) ? "line" : stream ? "octets" : "none";
  const frame: (text: string) => Buffer =
    framing === "octets" ? (text) => Buffer.from(frameOctetCounting(text), "utf8") : framing === "line" ? oneLine : (text) => Buffer.from(text, "utf8");
  switch (spec.format) {
    case "rfc5424": {
      const format = compileRfc5424({
        facility: spec.facility,
        maxBytes: spec.maxBytes,
        // One record a line: line breaks in values are escaped before the size is counted.
        lineBreaks: framing === "line" ? "escape" : "keep",
        ...(spec.sdId !== undefined ? { sdId: spec.sdId } : {}),
        ...(spec.sequenceId === true ? { sequence } : {}),
        ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
      });
      return (e) => frame(format(e));
    }
    case "rfc3164": {
      const zone = spec.timezone;
      const format = compileRfc3164({ facility: spec.facility, maxBytes: spec.maxBytes, ...(zone !== undefined ? { offsetMinutesAt: (ms: number) => zone.offsetMinutesAt(ms) } : {}) });
      return (e) => frame(format(e));
    }
    case "gelf": {
      const gelf: GelfOptions = { shortMessage: spec.shortMessage, fullMessage: spec.fullMessage, fields: spec.fields ?? [] };
      if (spec.type === "gelf" && spec.protocol === "udp") {
        const encode =
          spec.compress === "gzip"
            ? (json: string): Buffer => gzipSync(json)
            : spec.compress === "zlib"
              ? (json: string): Buffer => deflateSync(json)
              : (json: string): Buffer => Buffer.from(json, "utf8");
        const limit = GELF_MAX_CHUNKS * (spec.chunkSize - 12);
        return (e) => encodeGelfWithin(e, gelf, limit, encode);
      }
      if (spec.type === "gelf") {
        return (e) => {
          const frame = gelfNulFrame(formatGelf(e, gelf));
          return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
        };
      }
      return (e) => newline(formatGelf(e, gelf));
    }
    case "json": {
      const fields = spec.fields ?? [];
      return (e) => newline(formatJson(e, fields));
    }
    case "ecs": {
      const ecs = { categorize: spec.ecsEvents, fields: spec.fields ?? [] };
      return (e) => newline(formatEcs(e, ecs));
    }
    case "plain": {
      const layout: ((event: LayoutEvent) => string) | undefined = spec.layout;
      if (layout === undefined) throw new TypeError(`audit target "${spec.name}": format=plain needs a compiled layout`);
      return (e, message) => Buffer.from(layout({ timestamp: e.timestamp, level: e.level, loggerName: loggerName(), message: message(), mdc: currentMdc() }), "utf8");
    }
  }
}

/**
 * How a target's encoded record becomes datagrams: GELF over UDP is chunked (GELF 1.1), anything
 * else is one datagram.
 */
export function datagramsOf(spec: Pick<TargetSpec, "type" | "chunkSize">): (record: Buffer) => Buffer[] {
  return spec.type === "gelf" ? (record) => gelfChunks(record, spec.chunkSize) ?? [record] : (record) => [record];
}

/** GELF UDP chunking (GELF 1.1): magic, 8-byte message id, sequence number, count. */
export const GELF_CHUNK_MAGIC = Buffer.from([0x1e, 0x0f]);
/** At most this many chunks per GELF message. */
export const GELF_MAX_CHUNKS = 128;

/**
 * Splits a GELF message into UDP datagrams of at most `chunkSize` bytes (one datagram when it
 * fits, else 12-byte-header chunks). Returns undefined when it would need more than 128 chunks.
 *
 * @example
 * ```ts
 * gelfChunks(Buffer.alloc(3000), 1420)?.length; // 3
 * ```
 */
export function gelfChunks(message: Buffer, chunkSize: number): Buffer[] | undefined {
  if (message.length <= chunkSize) return [message];
  const room = chunkSize - 12;
  const count = Math.ceil(message.length / room);
  if (count > GELF_MAX_CHUNKS) return undefined;
  const id = randomBytes(8);
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const header = Buffer.concat([GELF_CHUNK_MAGIC, id, Buffer.from([i, count])]);
    chunks.push(Buffer.concat([header, message.subarray(i * room, (i + 1) * room)]));
  }
  return chunks;
}


/** The MSGID of the messages that carry the chain's lines (`integrity=on`, format rfc5424). */
export const CHAIN_MSGID = "slf4ts.chain";

/** Turns one line of the chain (as the file holds it, without its line feed) into the bytes a target sends. */
export type LineEncoder = (line: string, level: AuditEvent["level"]) => Buffer;

/**
 * Compiles the encoder of a target with `integrity=on`: each line of the hash chain, exactly as
 * the dedicated file holds it (a record with its `\tchain=` field, or a checkpoint), is carried
 * unchanged so that a verifier rebuilds the bytes the chain covers. format=rfc5424: the line is
 * MSG (no BOM, never cut), MSGID {@link CHAIN_MSGID}, no audit SD-ELEMENT (`[meta …]` and
 * `[origin …]` when configured); format=plain: the line and a line feed. Then the target's
 * framing, as for its records.
 *
 * @example
 * ```ts
 * const encode = compileLineEncoder(spec);
 * transport.offer(encode("ox.login, login=ann\tchain=2.Zk3q0mVh1sQa.1.q9Vb…", Level.INFO));
 * ```
 */
export function compileLineEncoder(spec: EncodingSettings & Pick<TargetSpec, "hostname" | "appName">, sequence: () => number = sequenceCounter()): LineEncoder {
  const stream = spec.protocol !== "udp" && spec.protocol !== "relp" && spec.type !== "file";
  const framing = spec.type === "console" || (spec.framing === "newline" && stream) ? "line" : stream ? "octets" : "none";
  const frame: (text: string) => Buffer =
    framing === "octets" ? (text) => Buffer.from(frameOctetCounting(text), "utf8") : framing === "line" ? oneLine : (text) => Buffer.from(text, "utf8");
  if (spec.format === "plain") return (line) => newline(line);
  if (spec.format !== "rfc5424") throw new TypeError(`audit target "${spec.name}": integrity=on needs format rfc5424 or plain, not ${spec.format}`);
  const header = compileRfc5424({
    facility: spec.facility,
    msg: false,
    ...(spec.sdId !== undefined ? { sdId: spec.sdId } : {}),
    ...(spec.sequenceId === true ? { sequence } : {}),
    ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
  });
  const procId = String(process.pid);
  return (line, level) => frame(header({ timestamp: Date.now(), level, eventId: CHAIN_MSGID, attributes: [], hostname: spec.hostname, appName: spec.appName, procId }) + " " + line);
}
