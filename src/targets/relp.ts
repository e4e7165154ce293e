/**
 * The RELP wire format (librelp's `doc/relp.md`): frames `TXNR SP COMMAND SP DATALEN [SP DATA] LF`,
 * transaction numbers 1 to 999,999,999 (then 1 again; 0 is the server's hint, `serverclose`),
 * the client's `open` offers and the server's `rsp` answers (`200 OK`, anything else an error).
 * Only encoding and decoding: the session (window, acknowledgements, reconnects) is in
 * `relp-transport.ts`.
 *
 * @module
 */

/** The largest transaction number; the one after it is 1. */
export const RELP_MAX_TXNR = 999_999_999;

/**
 * The largest DATA a frame from the receiver may carry. A response is short (`200 OK` and, to
 * `open`, a few offers); librelp's own limit for a frame is 128 KiB. A peer announcing more is
 * not a RELP server, and the connection is dropped instead of buffering without bound.
 */
export const RELP_MAX_RESPONSE_BYTES = 128 * 1024;

/** The transaction number after `txnr`: 1 to 999,999,999, then 1 again. */
export function nextTxnr(txnr: number): number {
  return txnr >= RELP_MAX_TXNR ? 1 : txnr + 1;
}

/** One frame: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. */
export function encodeRelpFrame(txnr: number, command: string, data: Buffer | string = ""): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const header = Buffer.from(body.length === 0 ? `${txnr} ${command} 0` : `${txnr} ${command} ${body.length} `, "ascii");
  return Buffer.concat([header, body, LF]);
}

const LF = Buffer.from("\n");

/** The offers of our `open`: version 0 (what librelp speaks), who we are, and the one command we use. */
export function openOffers(software: string): string {
  return `relp_version=0\nrelp_software=${software}\ncommands=syslog`;
}

/** A frame received. */
export interface RelpFrame {
  readonly txnr: number;
  readonly command: string;
  readonly data: Buffer;
}

/** A response's status and text: `200 OK` → `{ code: 200, text: "OK", rest: "" }`; `rest` holds the offers after the first line. */
export interface RelpResponse {
  readonly code: number;
  readonly text: string;
  readonly rest: string;
}

/** Reads the DATA of an `rsp` frame. */
export function parseRelpResponse(data: Buffer): RelpResponse {
  const text = data.toString("utf8");
  const newline = text.indexOf("\n");
  const first = newline < 0 ? text : text.slice(0, newline);
  const rest = newline < 0 ? "" : text.slice(newline + 1);
  const match = /^(\d{3})(?: (.*))?$/.exec(first);
  if (match === null) return { code: 0, text: first, rest };
  return { code: Number(match[1]), text: match[2] ?? "", rest };
}

/** The offers of an `open` response, by name (`commands` → `syslog`). */
export function parseOffers(rest: string): Map<string, string> {
  const offers = new Map<string, string>();
  for (const line of rest.split("\n")) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    offers.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? "" : line.slice(eq + 1));
  }
  return offers;
}

/** The longest header: TXNR (9 digits) SP COMMAND (32 letters) SP DATALEN (9 digits). */
const HEADER_MAX = 9 + 1 + 32 + 1 + 9;

/** A frame that breaks the format: the connection must be dropped (RELP has no recovery). */
export class RelpProtocolError extends Error {
  readonly code = "EPROTO";
}

/**
 * Splits the bytes a receiver sends into frames, across reads. Strict: a malformed header, a
 * DATALEN above {@link RELP_MAX_RESPONSE_BYTES} or a missing LF trailer throws
 * {@link RelpProtocolError}; a header is bounded too (9 + 1 + 32 + 1 + 9 characters), so a peer
 * sending garbage without spaces cannot make it buffer without bound.
 *
 * @example
 * ```ts
 * const parser = new RelpFrameParser();
 * parser.push(Buffer.from("1 rsp 6 200 OK\n")); // [{ txnr: 1, command: "rsp", data: <"200 OK"> }]
 * ```
 */
export class RelpFrameParser {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds what was read; returns the frames now complete, in order. */
  push(chunk: Buffer): RelpFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: RelpFrame[] = [];
    for (;;) {
      const frame = this.take();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  private take(): RelpFrame | undefined {
    const buffer = this.buffer;
    // The header: TXNR SP COMMAND SP DATALEN, then SP (data follows) or LF (DATALEN 0).
    const limit = HEADER_MAX + 1;
    const scan = Math.min(buffer.length, limit);
    let spaces = 0;
    let end = -1;
    for (let i = 0; i < scan; i++) {
      const c = buffer[i] as number;
      if (c === 0x0a || (c === 0x20 && ++spaces === 3)) {
        end = i;
        break;
      }
    }
    if (end < 0) {
      if (buffer.length >= limit) throw new RelpProtocolError(`malformed RELP frame header ${JSON.stringify(buffer.subarray(0, limit).toString("latin1"))}`);
      return undefined;
    }
    const header = buffer.subarray(0, end).toString("latin1");
    const match = /^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})$/.exec(header);
    if (match === null) throw new RelpProtocolError(`malformed RELP frame header ${JSON.stringify(header)}`);
    const txnr = Number(match[1]);
    const command = match[2] as string;
    const length = Number(match[3]);
    if (length > RELP_MAX_RESPONSE_BYTES) throw new RelpProtocolError(`RELP frame of ${length} bytes from the receiver (at most ${RELP_MAX_RESPONSE_BYTES})`);
    const terminator = buffer[end] as number;
    if (terminator === 0x0a) {
      if (length !== 0) throw new RelpProtocolError(`RELP frame ${JSON.stringify(header)} announces ${length} bytes but has none`);
      this.buffer = buffer.subarray(end + 1);
      return { txnr, command, data: Buffer.alloc(0) };
    }
    const dataStart = end + 1;
    if (buffer.length < dataStart + length + 1) return undefined;
    if (buffer[dataStart + length] !== 0x0a) throw new RelpProtocolError(`RELP frame ${JSON.stringify(header)} does not end with LF after its ${length} bytes`);
    const data = Buffer.from(buffer.subarray(dataStart, dataStart + length));
    this.buffer = buffer.subarray(dataStart + length + 1);
    return { txnr, command, data };
  }
}
