/**
 * The records every subject writes: the same OX login event for each, numbered so that the
 * verifier can tell a lost, doubled or torn record from a good one.
 *
 * `ox.login|login=user<seq>@example.com|ip=::1|client=open-xchange-appsuite|session=<32 hex>|timestamp=<ISO>`
 *
 * slf4ts is handed the attributes with a real `Date` (formatting it is part of its job); peers
 * are handed the same values with the timestamp already formatted by {@link isoSeconds}, the
 * cheapest correct formatter (the same string cached per second), so no peer is slowed by a
 * date formatter the harness chose.
 */
import { createHash } from "node:crypto";

/** The event id of every record. */
export const EVENT_ID = "ox.login";
/** The `ip` attribute of every record. */
export const IP = "::1";
/** The `client` attribute of every record. */
export const CLIENT = "open-xchange-appsuite";

const SESSION_POOL_SIZE = 1024;

/** 1024 session ids (32 hex digits each), the same in every process: md5 of the index. */
export const SESSIONS: readonly string[] = Array.from({ length: SESSION_POOL_SIZE }, (_, i) =>
  createHash("md5").update(`session-${i}`).digest("hex"),
);

/** The session id of record `seq`. */
export function sessionOf(seq: number): string {
  return SESSIONS[seq & (SESSION_POOL_SIZE - 1)] as string;
}

/** The login of record `seq`; it carries the sequence number the verifier reads back. */
export function loginOf(seq: number): string {
  return "user" + seq + "@example.com";
}

let cachedSecond = Number.NaN;
let cachedText = "";

/**
 * ISO-8601 in UTC without milliseconds (`2016-06-10T10:31:10Z`, slf4ts's default date
 * format), formatted once per second and reused in between.
 */
export function isoSeconds(epochMillis: number): string {
  const second = Math.floor(epochMillis / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = new Date(second * 1000).toISOString().slice(0, 19) + "Z";
  }
  return cachedText;
}

/** The line peers write for record `seq` (without the line break). */
export function oxLine(seq: number, date: Date): string {
  return (
    EVENT_ID +
    "|login=" +
    loginOf(seq) +
    "|ip=" +
    IP +
    "|client=" +
    CLIENT +
    "|session=" +
    sessionOf(seq) +
    "|timestamp=" +
    isoSeconds(date.getTime())
  );
}

/** The attributes of record `seq` as an object (for slf4ts, with the real Date). */
export function oxAttributes(seq: number, date: Date): { login: string; ip: string; client: string; session: string; timestamp: Date } {
  return { login: loginOf(seq), ip: IP, client: CLIENT, session: sessionOf(seq), timestamp: date };
}

/** The attributes of record `seq` for JSON peers (pino): the timestamp as its ISO text. */
export function jsonAttributes(seq: number, date: Date): { login: string; ip: string; client: string; session: string; timestamp: string } {
  return { login: loginOf(seq), ip: IP, client: CLIENT, session: sessionOf(seq), timestamp: isoSeconds(date.getTime()) };
}
