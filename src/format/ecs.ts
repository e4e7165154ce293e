/**
 * Elastic Common Schema (ECS 8.11) documents for audit events, one JSON line each, with nested
 * objects (not dotted keys), so Filebeat or Elastic Agent can ship the file with no ingest
 * pipeline of its own.
 *
 * Fields written (ECS type in brackets):
 * - `@timestamp` [date]: ISO 8601 UTC with milliseconds (left out when not representable).
 * - `ecs.version` [keyword]: `8.11.0`.
 * - `event.kind` [keyword]: `event`; `event.action` [keyword]: the event id;
 *   `event.category` / `event.type` [keyword arrays]: from the target's event table
 *   (`ecs.event.<glob>`) or, when none of its globs matches, the shipped defaults
 *   ({@link ECS_EVENT_DEFAULTS}: OX logins, logouts, IMAP/POP3/SMTP connections and SMTP
 *   deliveries); left out when neither matches (or the matching row is `-`);
 *   `event.severity` [long]: the syslog severity;
 *   `event.outcome` [keyword]: from the first of the attributes `outcome`, `result`, `success`
 *   that is present: `success`/`succeeded`/`ok`/`true`/`yes`/`1` → `success`,
 *   `failure`/`failed`/`fail`/`error`/`denied`/`false`/`no`/`0` → `failure` (case-insensitive,
 *   trimmed), anything else (and null, or several occurrences) → `unknown`, where the table's
 *   outcome (if its row has one) replaces `unknown`; with none of these attributes, the table's
 *   outcome, else left out. The attribute itself is also kept in the namespace (its raw value is not lost).
 * - `user.name` [keyword]: the `login` attribute, when it occurs exactly once with a non-null value.
 * - `source.ip` [ip]: the `ip` attribute, when it occurs exactly once and `node:net` `isIP`
 *   accepts it (an IPv6 zone index `%eth0` is refused: Elasticsearch's ip type rejects it).
 * - `log.logger` [keyword]: `com.openexchange.log.audit.AuditLogService`; `log.level` [keyword]:
 *   the upper-case level name.
 * - `host.hostname` [keyword], `service.name` [keyword] = app name, `process.pid` [long] when
 *   the proc id is a decimal number.
 * - `message` [match_only_text]: the plain audit line ({@link plainLine}).
 * - Static fields of the target (`field.<name>=value`, e.g. `service.name`, `event.dataset`,
 *   `data_stream.dataset`), nested by their dots, as keyword strings; `service.name` replaces the
 *   app name, no other field written per record can be replaced ({@link ecsStaticFieldProblem}).
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

/** ECS 8.11's allowed values of `event.category`. */
export const ECS_CATEGORIES: readonly string[] = [
  "api", "authentication", "configuration", "database", "driver", "email", "file", "host", "iam", "intrusion_detection",
  "library", "malware", "network", "package", "process", "registry", "session", "threat", "vulnerability", "web",
];
/** ECS 8.11's allowed values of `event.type`. */
export const ECS_TYPES: readonly string[] = [
  "access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "end", "error", "group",
  "indicator", "info", "installation", "protocol", "start", "user",
];
/** ECS 8.11's allowed values of `event.outcome`. */
export const ECS_OUTCOMES: readonly string[] = ["success", "failure", "unknown"];

/** What an event table row gives an event: its ECS categories and types, and optionally its outcome. */
export interface EcsCategorization {
  readonly category: readonly string[];
  readonly type: readonly string[];
  /** The outcome when no outcome attribute says success or failure. */
  readonly outcome?: "success" | "failure" | "unknown" | undefined;
}

/**
 * Parses the value of an event table row: `category[,category…]:type[,type…][:outcome]` with
 * ECS 8.11's allowed values, or `-` (no categorization: the event gets none, not even a default).
 *
 * @example
 * ```ts
 * parseEcsCategorization("network,authentication:connection,start:success");
 * // { ok: true, value: { category: ["network", "authentication"], type: ["connection", "start"], outcome: "success" } }
 * parseEcsCategorization("-"); // { ok: true, value: null }
 * ```
 */
export function parseEcsCategorization(text: string): { readonly ok: true; readonly value: EcsCategorization | null } | { readonly ok: false; readonly expected: string } {
  const t = text.trim();
  if (t === "-") return { ok: true, value: null };
  const shape = "expected category[,category…]:type[,type…][:outcome] (e.g. authentication:start:success) or - for none";
  const fields = t.split(":").map((f) => f.trim());
  if (fields.length < 2 || fields.length > 3) return { ok: false, expected: shape };
  const words = (f: string): string[] => f.split(",").map((w) => w.trim().toLowerCase());
  const category = words(fields[0] as string);
  const type = words(fields[1] as string);
  const badCategory = category.find((c) => !ECS_CATEGORIES.includes(c));
  if (badCategory !== undefined) return { ok: false, expected: `"${badCategory}" is not an ECS 8.11 event.category; expected ${ECS_CATEGORIES.join(", ")}` };
  const badType = type.find((c) => !ECS_TYPES.includes(c));
  if (badType !== undefined) return { ok: false, expected: `"${badType}" is not an ECS 8.11 event.type; expected ${ECS_TYPES.join(", ")}` };
  const outcome = fields[2]?.toLowerCase();
  if (outcome !== undefined && !ECS_OUTCOMES.includes(outcome)) return { ok: false, expected: `"${fields[2]}" is not an ECS event.outcome; expected success, failure or unknown` };
  return { ok: true, value: { category, type, outcome: outcome as EcsCategorization["outcome"] } };
}

/**
 * The shipped event table, used for an event no row of the target's own table matches. The OX
 * event ids (Open-Xchange's `LoginPerformer`, `IMAPAccess`, `POP3StoreConnector`,
 * `AbstractSMTPTransport`): a mail connection is logged after it succeeded; an SMTP `unsent` or
 * `invalid` address is a delivery that failed.
 */
export const ECS_EVENT_DEFAULTS: ReadonlyArray<readonly [string, EcsCategorization]> = [
  ["ox.login", { category: ["authentication"], type: ["start"] }],
  ["ox.logout", { category: ["authentication"], type: ["end"] }],
  ["imap.*.login", { category: ["authentication", "network"], type: ["start", "connection"], outcome: "success" }],
  ["pop3.*.login", { category: ["authentication", "network"], type: ["start", "connection"], outcome: "success" }],
  ["smtp.*.login", { category: ["authentication", "network"], type: ["start", "connection"], outcome: "success" }],
  ["smtp.*.sent", { category: ["email"], type: ["info"], outcome: "success" }],
  ["smtp.*.unsent", { category: ["email"], type: ["info"], outcome: "failure" }],
  ["smtp.*.invalid", { category: ["email"], type: ["info"], outcome: "failure" }],
];

/**
 * Whether an event id matches a glob (`*` any run of characters, `?` one), in time linear in
 * their lengths times the number of stars at most (no regex: a glob of many stars cannot backtrack).
 */
function globMatches(glob: string, id: string): boolean {
  let g = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < id.length) {
    if (g < glob.length && (glob[g] === "?" || (glob[g] !== "*" && glob[g] === id[i]))) {
      g++;
      i++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      mark = i;
    } else if (star >= 0) {
      g = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}

/** How specific a glob is: its characters other than `*` (an exact id beats `ox.*`, which beats `*`). */
function specificity(glob: string): number {
  return glob.replace(/\*/g, "").length;
}

/**
 * Compiles an event table: the given rows (`[glob, categorization or null for none]`, in the
 * order of their lines) and then the shipped defaults. For an event id, the most specific
 * matching row of the given ones wins (most characters other than `*`; on a tie, the earlier);
 * only when none matches, the most specific matching default. Results are cached per event id.
 *
 * @example
 * ```ts
 * const categorize = compileEcsEventTable([["ox.login.failed", { category: ["authentication"], type: ["start"], outcome: "failure" }]]);
 * categorize("ox.login.failed")?.outcome; // "failure"
 * categorize("ox.logout")?.type; // ["end"] (a default)
 * ```
 */
export function compileEcsEventTable(rows: ReadonlyArray<readonly [string, EcsCategorization | null]>): (eventId: string) => EcsCategorization | undefined {
  const pick = (table: ReadonlyArray<readonly [string, EcsCategorization | null]>, id: string): EcsCategorization | null | undefined => {
    let best: readonly [string, EcsCategorization | null] | undefined;
    for (const row of table) {
      if (globMatches(row[0], id) && (best === undefined || specificity(row[0]) > specificity(best[0]))) best = row;
    }
    return best?.[1];
  };
  const cache = new Map<string, EcsCategorization | undefined>();
  return (id) => {
    if (cache.has(id)) return cache.get(id);
    const own = pick(rows, id);
    const result = own === null ? undefined : (own ?? pick(ECS_EVENT_DEFAULTS, id) ?? undefined);
    if (cache.size < 10_000) cache.set(id, result);
    return result;
  };
}

const defaultTable = compileEcsEventTable([]);

/** The fields the ECS format writes per record (a static field may not replace them), and the objects only it writes into. */
const ECS_WRITTEN: readonly string[] = [
  "@timestamp", "ecs.version", "event.kind", "event.action", "event.category", "event.type", "event.severity", "event.outcome",
  "user.name", "source.ip", "log.logger", "log.level", "host.hostname", "process.pid", "message", "slf4ts",
];

/**
 * Why a static field path cannot be used in ECS documents, or undefined when it can: dot-separated
 * names of letters, digits, `_`, `-` and `@` (the first not starting with `_`, Elasticsearch's
 * metadata fields), and never a field the format writes per record (nor inside one, nor an object
 * holding one) except `service.name`.
 *
 * @example
 * ```ts
 * ecsStaticFieldProblem("event.dataset"); // undefined
 * ecsStaticFieldProblem("event.action"); // "event.action is written for every record …"
 * ```
 */
export function ecsStaticFieldProblem(path: string): string | undefined {
  const segments = path.split(".");
  if (segments.some((s) => !/^[A-Za-z0-9_@-]+$/.test(s)) || path.startsWith("_")) {
    return "expected an ECS field name: dot-separated names of letters, digits, _, - and @, not starting with _ (e.g. service.name, event.dataset, data_stream.namespace, labels.site)";
  }
  const clash = ECS_WRITTEN.find((w) => w === path || path.startsWith(w + ".") || w.startsWith(path + "."));
  if (clash !== undefined) return `${clash} is written for every record by the ECS format; expected another field (service.name may be replaced)`;
  return undefined;
}

/** What an ECS target adds to its documents: its event table and static fields. */
export interface EcsOptions {
  /** The categorization of an event id; default: the shipped defaults ({@link ECS_EVENT_DEFAULTS}). */
  readonly categorize?: ((eventId: string) => EcsCategorization | undefined) | undefined;
  /** Static fields, `[dotted path, value]`, checked by {@link ecsStaticFieldProblem} and against each other. */
  readonly fields?: ReadonlyArray<readonly [string, string]>;
}

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
export function ecsDocument(event: AuditEvent, options: EcsOptions = {}): { [key: string]: EcsValue } {
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
  const categorization = (options.categorize ?? defaultTable)(event.eventId);
  if (categorization !== undefined) {
    eventObject["category"] = [...categorization.category];
    eventObject["type"] = [...categorization.type];
  }
  eventObject["severity"] = syslogSeverity(event.level);
  const outcomeName = ["outcome", "result", "success"].find((n) => count.has(n));
  if (outcomeName !== undefined) {
    const value = single(outcomeName);
    const outcome = value === undefined ? "unknown" : ecsOutcome(value);
    eventObject["outcome"] = outcome === "unknown" ? (categorization?.outcome ?? outcome) : outcome;
  } else if (categorization?.outcome !== undefined) {
    eventObject["outcome"] = categorization.outcome;
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
  for (const [path, value] of options.fields ?? []) {
    const segments = path.split(".");
    let node = doc;
    for (const segment of segments.slice(0, -1)) {
      const child = node[segment];
      if (child === undefined || child === null || typeof child !== "object" || Array.isArray(child)) node = node[segment] = {};
      else node = child;
    }
    node[segments[segments.length - 1] as string] = value;
  }
  return doc;
}

/**
 * Formats one event as one ECS JSON line (no trailing newline), with the target's event table and
 * static fields when given.
 *
 * @example
 * ```ts
 * formatEcs(event);
 * // '{"@timestamp":"2026-01-02T03:04:05.006Z","ecs":{"version":"8.11.0"},"event":{"kind":"event","action":"ox.login",…}'
 * ```
 */
export function formatEcs(event: AuditEvent, options: EcsOptions = {}): string {
  return lineSafeJson(JSON.stringify(ecsDocument(event, options)));
}
