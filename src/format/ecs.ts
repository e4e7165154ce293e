/**
 * Elastic Common Schema (ECS 8.11) documents for audit events, one JSON line each, with nested
 * objects (not dotted keys), so Filebeat or Elastic Agent can ship the file with no ingest
 * pipeline of its own.
 *
 * Fields written (ECS type in brackets):
 * - `@timestamp` [date]: ISO 8601 UTC with milliseconds (left out when not representable).
 * - `ecs.version` [keyword]: `8.11.0`.
 * - `event.kind` [keyword]: `event`; `event.action` [keyword]: the event id;
 *   `event.category` / `event.type` [keyword arrays]: `ox.login` → `["authentication"]` /
 *   `["start"]`, `ox.logout` → `["authentication"]` / `["end"]`, left out otherwise;
 *   `event.severity` [long]: the syslog severity;
 *   `event.outcome` [keyword]: from the first of the attributes `outcome`, `result`, `success`
 *   that is present: `success`/`succeeded`/`ok`/`true`/`yes`/`1` → `success`,
 *   `failure`/`failed`/`fail`/`error`/`denied`/`false`/`no`/`0` → `failure` (case-insensitive,
 *   trimmed), anything else (and null, or several occurrences) → `unknown`; left out when none of them is
 *   present. The attribute itself is also kept in the namespace (its raw value is not lost).
 * - `user.name` [keyword]: the `login` attribute, when it occurs exactly once with a non-null value.
 * - `source.ip` [ip]: the `ip` attribute, when it occurs exactly once and `node:net` `isIP`
 *   accepts it (an IPv6 zone index `%eth0` is refused: Elasticsearch's ip type rejects it).
 * - `log.logger` [keyword]: `com.openexchange.log.audit.AuditLogService`; `log.level` [keyword]:
 *   the upper-case level name.
 * - `host.hostname` [keyword], `service.name` [keyword] = app name, `process.pid` [long] when
 *   the proc id is a decimal number.
 * - `message` [match_only_text]: the plain audit line ({@link plainLine}).
 * - Everything else (including `login`/`ip` when not mapped above) under the namespace
 *   `slf4ts.audit.attributes` [keyword], in attribute order; a null value is JSON `null`,
 *   a repeated name an array of its values.
 *
 * Attribute names under the namespace: Elasticsearch expands a dot in a field name into object
 * nesting, so `a.b` next to `a` would collide. Names are therefore percent-encoded: `%` → `%25`,
 * `.` → `%2E`; an empty name is written `%` (not a valid encoding, so it cannot clash). Every key
 * is then one level deep and `decodeURIComponent` gives the original name back.
 */
import { isIP } from "node:net";
import { isoTimestamp, levelText, lineSafeJson, plainLine, syslogSeverity, type AuditEvent } from "./event.js";
import { groupAttributes } from "./json.js";

/** The ECS version written in `ecs.version`. */
export const ECS_VERSION = "8.11.0";
/** The logger name written in `log.logger`. */
export const ECS_LOGGER = "com.openexchange.log.audit.AuditLogService";

/**
 * The key of an attribute under `slf4ts.audit.attributes` (see the module comment).
 *
 * @example
 * ```ts
 * ecsAttributeKey("client.ip"); // "client%2Eip"
 * ecsAttributeKey(""); // "%"
 * ```
 */
export function ecsAttributeKey(name: string): string {
  if (name === "") return "%";
  return name.replace(/%/g, "%25").replace(/\./g, "%2E");
}

/**
 * The ECS `event.outcome` for an outcome attribute value.
 *
 * @example
 * ```ts
 * ecsOutcome(" OK "); // "success"
 * ecsOutcome("attempt"); // "unknown"
 * ```
 */
export function ecsOutcome(value: string | null): "success" | "failure" | "unknown" {
  if (value === null) return "unknown";
  const v = value.trim().toLowerCase();
  if (["success", "succeeded", "successful", "ok", "true", "yes", "1"].includes(v)) return "success";
  if (["failure", "failed", "fail", "error", "denied", "false", "no", "0"].includes(v)) return "failure";
  return "unknown";
}

const CATEGORIES: Readonly<Record<string, readonly [string[], string[]]>> = {
  "ox.login": [["authentication"], ["start"]],
  "ox.logout": [["authentication"], ["end"]],
};

/** A JSON value: what {@link ecsDocument} returns. */
export type EcsValue = string | number | null | EcsValue[] | { [key: string]: EcsValue };

/**
 * The ECS document of an event as a nested object (keys of the namespace object are set with
 * `Object.defineProperty` so that any name, `__proto__` included, is a plain own property).
 *
 * @example
 * ```ts
 * ecsDocument(event).event; // { kind: "event", action: "ox.login", category: ["authentication"], type: ["start"], severity: 6 }
 * ```
 */
export function ecsDocument(event: AuditEvent): { [key: string]: EcsValue } {
  const count = new Map<string, number>();
  for (const [name] of event.attributes) count.set(name, (count.get(name) ?? 0) + 1);
  const single = (name: string): string | null | undefined => {
    if (count.get(name) !== 1) return undefined;
    return event.attributes.find(([n]) => n === name)?.[1];
  };
  const consumed = new Set<string>();

  const login = single("login");
  const user = typeof login === "string" ? { name: login } : undefined;
  if (user !== undefined) consumed.add("login");

  const ip = single("ip");
  const source = typeof ip === "string" && !ip.includes("%") && isIP(ip) !== 0 ? { ip } : undefined;
  if (source !== undefined) consumed.add("ip");

  const eventObject: { [key: string]: EcsValue } = { kind: "event", action: event.eventId };
  const category = CATEGORIES[event.eventId];
  if (category !== undefined) {
    eventObject["category"] = [...category[0]];
    eventObject["type"] = [...category[1]];
  }
  eventObject["severity"] = syslogSeverity(event.level);
  const outcomeName = ["outcome", "result", "success"].find((n) => count.has(n));
  if (outcomeName !== undefined) {
    const value = single(outcomeName);
    eventObject["outcome"] = value === undefined ? "unknown" : ecsOutcome(value);
  }

  const attributes: { [key: string]: EcsValue } = {};
  for (const [name, value] of groupAttributes(event.attributes)) {
    if (consumed.has(name)) continue;
    Object.defineProperty(attributes, ecsAttributeKey(name), { value, enumerable: true, writable: true, configurable: true });
  }

  const doc: { [key: string]: EcsValue } = {};
  const timestamp = isoTimestamp(event.timestamp);
  if (timestamp !== undefined) doc["@timestamp"] = timestamp;
  doc["ecs"] = { version: ECS_VERSION };
  doc["event"] = eventObject;
  if (user !== undefined) doc["user"] = user;
  if (source !== undefined) doc["source"] = source;
  doc["log"] = { logger: ECS_LOGGER, level: levelText(event.level) };
  doc["host"] = { hostname: event.hostname };
  doc["service"] = { name: event.appName };
  if (/^[0-9]{1,15}$/.test(event.procId)) doc["process"] = { pid: Number(event.procId) };
  doc["message"] = plainLine(event);
  doc["slf4ts"] = { audit: { attributes } };
  return doc;
}

/**
 * Formats one event as one ECS JSON line (no trailing newline). There are no options.
 *
 * @example
 * ```ts
 * formatEcs(event);
 * // '{"@timestamp":"2026-01-02T03:04:05.006Z","ecs":{"version":"8.11.0"},"event":{"kind":"event","action":"ox.login",…}'
 * ```
 */
export function formatEcs(event: AuditEvent): string {
  return lineSafeJson(JSON.stringify(ecsDocument(event)));
}
