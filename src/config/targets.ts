/**
 * The keys of named remote and file targets, `target.<name>.<option>` after the key prefix,
 * and their validation into {@link TargetSpec}s (every problem names key, value and line).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { createHash } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { LEVEL_IDS, parseLevel, type Level } from "../facade/level.js";
import type { LayoutEvent } from "../layout/pattern.js";
import { RFC5424_MIN_MAX_BYTES } from "../format/rfc5424.js";
import type { ConfigProblem } from "./errors.js";
import { parseFileSize } from "../java/file-size.js";
import { compileGlobs } from "./glob.js";
import type { TargetFormat, TargetProtocol, TargetSpec, TargetType } from "../targets/spec.js";

/** One option of a target: its name after `target.<name>.`, default and documentation. */
export interface TargetKeySpec {
  /** The option, e.g. `host`. */
  readonly option: string;
  /** The default as it would be written ("" for none / derived). */
  readonly defaultValue: string;
  /** What it does. */
  readonly doc: string;
}

/**
 * Every option of a target, in documentation order (README and etc/slf4j-auditlog.properties).
 *
 * @example
 * ```ts
 * TARGET_KEYS.map((k) => `target.siem.${k.option}`);
 * ```
 */
export const TARGET_KEYS: readonly TargetKeySpec[] = [
  { option: "type", defaultValue: "", doc: "Required: syslog, tcp (a raw stream of formatted records), gelf, file, or none (the target is off; its other options stay in the file unchecked, so it can be switched on again)." },
  {
    option: "protocol",
    defaultValue: "",
    doc: "syslog: udp, tcp or tls (default tcp); gelf: udp, tcp or tls (default udp); tcp: tcp or tls (default tcp). TCP and TLS syslog always use octet-counting framing (RFC 6587 / RFC 5425).",
  },
  { option: "host", defaultValue: "", doc: "Required for syslog, tcp and gelf: the receiver's host name or IP address." },
  { option: "port", defaultValue: "", doc: "The receiver's port. Default: syslog 514 (udp, tcp) or 6514 (tls), gelf 12201; required for tcp." },
  {
    option: "format",
    defaultValue: "",
    doc: "syslog: rfc5424 (default) or rfc3164 (old receivers); tcp and file: json (default), ecs, gelf or plain (the pattern); gelf: gelf.",
  },
  { option: "pattern", defaultValue: "%sanitisedMessage%n", doc: "format=plain: the logback pattern of each record (as file.pattern)." },
  { option: "level", defaultValue: "", doc: "The level of the records this target receives (syslog severity, GELF level, log.level); default: the level key." },
  { option: "include", defaultValue: "*", doc: "Comma-separated event-id globs (* any characters, ? one): only matching events go to this target." },
  { option: "exclude", defaultValue: "", doc: "Comma-separated event-id globs: matching events do not go to this target (exclude wins over include)." },
  {
    option: "rateLimit",
    defaultValue: "",
    doc: "At most N records per event id and interval, e.g. 100/s, 1000/m, 5000/h; records past it are skipped and counted, and one slf4ts.audit.ratelimited record per event id says how many when the interval ends. Empty: no limit.",
  },
  { option: "rateLimit.events", defaultValue: "*", doc: "Comma-separated event-id globs the rate limit applies to (others are never limited)." },
  { option: "facility", defaultValue: "13", doc: "syslog: the facility, 0-23 or a name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0-local7). 13 is log audit." },
  { option: "appName", defaultValue: "slf4ts", doc: "syslog APP-NAME / RFC 3164 TAG, GELF _app, ECS service.name." },
  { option: "hostname", defaultValue: "", doc: "The HOSTNAME sent (syslog, GELF host, ECS host.hostname); default: this machine's host name." },
  {
    option: "maxBytes",
    defaultValue: "8096",
    doc: "syslog: the largest message in bytes (UTF-8), rsyslog's default maxMessageSize; a longer one is cut on a character boundary and ends with ...[truncated]. From 515 (rfc5424) or 128 (rfc3164). Other types are bounded by record.maxLength (and GELF over UDP by 128 chunks).",
  },
  { option: "compress", defaultValue: "none", doc: "gelf over udp: none, gzip or zlib. file: none, or gzip to compress the archives (as file.compress)." },
  { option: "chunkSize", defaultValue: "1420", doc: "gelf over udp: the largest datagram in bytes (chunked beyond), 512 to 65467." },
  { option: "tls.ca", defaultValue: "", doc: "TLS: a PEM file of the certificate authorities the server certificate is verified against (default: Node's built-in list)." },
  { option: "tls.cert", defaultValue: "", doc: "TLS: a PEM client certificate, for mutual TLS (with tls.key)." },
  { option: "tls.key", defaultValue: "", doc: "TLS: the PEM private key of tls.cert." },
  { option: "tls.servername", defaultValue: "", doc: "TLS: the name the server certificate must carry; default: host." },
  { option: "tls.insecure", defaultValue: "false", doc: "TLS: true accepts any server certificate (no verification; a warning is reported at every configuration). Never in production." },
  { option: "buffer.size", defaultValue: "10000", doc: "Records kept in memory, in order, while the receiver is unreachable; past it records are dropped and counted, and one slf4ts.audit.dropped record says how many when delivery resumes." },
  {
    option: "spool",
    defaultValue: "",
    doc: "A folder for an on-disk queue: every record is written there before it is sent, so records survive a restart of this process and are sent when the receiver is back. Empty: memory only.",
  },
  { option: "spool.maxSize", defaultValue: "1GB", doc: "The largest spool; past it records are dropped and counted as with buffer.size." },
  {
    option: "resendMs",
    defaultValue: "3000",
    doc: "tcp/tls: records sent this many milliseconds before a connection broke are sent again after reconnecting (the receiver may have lost them unwritten): at-least-once delivery. 0: never resend.",
  },
  {
    option: "stallMs",
    defaultValue: "10000",
    doc: "tcp/tls: a connection whose writes the operating system has taken nothing of for this many milliseconds (a receiver that accepts but does not read) is treated as broken: reported as an outage (TARGET_FAILED), closed and reconnected with backoff; records wait and are dropped and counted as in any outage. 100 to 600000.",
  },
  { option: "path", defaultValue: "", doc: "file: the file written (relative to the properties file's folder); rotated like file.location." },
  { option: "size", defaultValue: "2097152", doc: "file: the rotation size (as file.size)." },
  { option: "count", defaultValue: "99", doc: "file: the archives kept (as file.count)." },
  { option: "maxAge", defaultValue: "0", doc: "file: archives older than this many days are deleted (as file.maxAge); 0: no age limit." },
];

const OPTIONS = new Map(TARGET_KEYS.map((k) => [k.option, k]));

/** One `target.*` property. */
export interface TargetProperty {
  /** The full key. */
  readonly key: string;
  /** The key after the prefix: `target.<name>.<option>`. */
  readonly name: string;
  readonly value: string;
  readonly line: number | undefined;
}

const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

const FORMATS: Readonly<Record<TargetType, readonly TargetFormat[]>> = {
  syslog: ["rfc5424", "rfc3164"],
  tcp: ["json", "ecs", "gelf", "plain"],
  gelf: ["gelf"],
  file: ["json", "ecs", "gelf", "plain"],
};
const PROTOCOLS: Readonly<Record<TargetType, readonly TargetProtocol[]>> = {
  syslog: ["tcp", "udp", "tls"],
  tcp: ["tcp", "tls"],
  gelf: ["udp", "tcp", "tls"],
  file: [],
};
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const RATE = /^([0-9]{1,9})\s*\/\s*([0-9]{0,6})\s*(s|sec|second|m|min|minute|h|hour)$/i;
function wholeNumber(text: string, min: number, max: number): number | undefined {
  const t = text.trim();
  if (!/^[0-9]{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
}

/**
 * Validates the `target.*` properties into target specs (targets of type `none` are left out).
 * Every problem is collected; `baseDir` resolves relative paths.
 *
 * @example
 * ```ts
 * const { targets, problems } = parseTargets([{ key: P + "target.siem.type", name: "target.siem.type", value: "syslog", line: 3 }, …], "/etc/app");
 * ```
 */
export function parseTargets(
  properties: readonly TargetProperty[],
  baseDir: string,
  keyPrefix: string,
  compileLayout: (pattern: string) => (event: LayoutEvent) => string,
): { targets: TargetSpec[]; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const byTarget = new Map<string, Map<string, TargetProperty>>();
  for (const property of properties) {
    const rest = property.name.slice("target.".length);
    const dot = rest.indexOf(".");
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const option = dot < 0 ? "" : rest.slice(dot + 1);
    if (!NAME.test(name) || option === "") {
      problems.push({ key: property.key, value: property.value, line: property.line, expected: "expected target.<name>.<option> with a name of letters, digits, _ and - (at most 64)" });
      continue;
    }
    if (!OPTIONS.has(option)) {
      problems.push({
        key: property.key,
        value: property.value,
        line: property.line,
        expected: `unknown target option "${option}"; expected one of ${TARGET_KEYS.map((k) => k.option).join(", ")}`,
      });
      continue;
    }
    let options = byTarget.get(name);
    if (options === undefined) byTarget.set(name, (options = new Map()));
    const earlier = options.get(option);
    if (earlier !== undefined) {
      warnings.push({ key: property.key, value: property.value, line: property.line, expected: `repeats the key of line ${earlier.line ?? "?"}; this later value wins` });
    }
    options.set(option, property);
  }

  const targets: TargetSpec[] = [];
  const spools = new Map<string, string>();
  for (const [name, options] of [...byTarget].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const key = (option: string): string => `${keyPrefix}target.${name}.${option}`;
    const get = (option: string): string => {
      const property = options.get(option);
      return property === undefined || property.value.trim() === "" ? (OPTIONS.get(option) as TargetKeySpec).defaultValue : property.value.trim();
    };
    const given = (option: string): boolean => options.has(option) && (options.get(option) as TargetProperty).value.trim() !== "";
    const before = problems.length;
    const fail = (option: string, expected: string): void => {
      const property = options.get(option);
      problems.push({ key: key(option), value: property?.value, line: property?.line ?? options.values().next().value?.line, expected });
    };

    const typeText = get("type").toLowerCase();
    if (typeText === "") {
      fail("type", "a target needs a type: syslog, tcp, gelf, file or none");
      continue;
    }
    if (typeText === "none") continue;
    if (!(typeText in FORMATS)) {
      fail("type", "expected syslog, tcp, gelf, file or none");
      continue;
    }
    const type = typeText as TargetType;

    const protocols = PROTOCOLS[type];
    const protocolText = get("protocol").toLowerCase() || (type === "gelf" ? "udp" : "tcp");
    if (type !== "file" && !protocols.includes(protocolText as TargetProtocol)) fail("protocol", `expected ${protocols.join(", ")} for a ${type} target`);
    const protocol = protocolText as TargetProtocol;

    const host = get("host");
    if (type !== "file" && host === "") fail("host", `a ${type} target needs a host`);
    if (/\s/.test(host)) fail("host", "expected a host name or IP address without spaces");
    let port = 0;
    if (type !== "file") {
      if (given("port")) {
        port = wholeNumber(get("port"), 1, 65535) ?? 0;
        if (port === 0) fail("port", "expected a port number from 1 to 65535");
      } else if (type === "tcp") {
        fail("port", "a tcp target needs a port");
      } else {
        port = type === "gelf" ? 12201 : protocol === "tls" ? 6514 : 514;
      }
    }

    const formatText = get("format").toLowerCase() || (FORMATS[type][0] as string);
    if (!FORMATS[type].includes(formatText as TargetFormat)) fail("format", `expected ${FORMATS[type].join(", ")} for a ${type} target`);
    const format = formatText as TargetFormat;
    const pattern = get("pattern").replace(/^(["'])(.*)\1$/, "$2");
    let layout: ((event: LayoutEvent) => string) | undefined;
    if (format === "plain") {
      try {
        layout = compileLayout(pattern);
      } catch (error) {
        fail("pattern", `expected a logback pattern: ${(error as Error).message}`);
      }
    }

    let level: Level | undefined;
    if (given("level")) {
      level = parseLevel(get("level"));
      if (level === undefined) fail("level", `expected one of ${LEVEL_IDS.join(", ")}`);
    }

    const globs = (option: string): string[] =>
      get(option)
        .split(",")
        .map((g) => g.trim())
        .filter((g) => g !== "");
    const include = compileGlobs(globs("include"));
    const excludeList = globs("exclude");
    const exclude = excludeList.length === 0 ? undefined : compileGlobs(excludeList);
    const accepts = exclude === undefined ? include : (id: string): boolean => include(id) && !exclude(id);

    let rateLimit: TargetSpec["rateLimit"];
    if (given("rateLimit")) {
      const match = RATE.exec(get("rateLimit"));
      const count = match === null ? 0 : Number(match[1]);
      const times = match === null || match[2] === "" ? 1 : Number(match[2]);
      const unit = (match?.[3] ?? "s").charAt(0).toLowerCase();
      const intervalMs = times * (unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
      if (match === null || count < 1 || times < 1) fail("rateLimit", "expected records per interval, e.g. 100/s, 1000/m, 5000/h or 50/10s");
      else rateLimit = { count, intervalMs, applies: compileGlobs(globs("rateLimit.events")) };
    }

    const facilityText = get("facility").toLowerCase();
    const facility = /^[0-9]+$/.test(facilityText) ? Number(facilityText) : (FACILITIES[facilityText] ?? NaN);
    if (!(facility >= 0 && facility <= 23)) fail("facility", `expected 0 to 23 or one of ${Object.keys(FACILITIES).join(", ")}`);
    const appName = get("appName");
    const hostname = get("hostname") || osHostname();

    const minBytes = format === "rfc3164" ? 128 : type === "syslog" ? RFC5424_MIN_MAX_BYTES : 512;
    // A UDP datagram carries at most 65507 bytes of payload (IPv4).
    const maxMax = type === "syslog" && protocol === "udp" ? 65_507 : 1_073_741_824;
    const maxBytes = wholeNumber(get("maxBytes"), minBytes, maxMax);
    if (maxBytes === undefined) fail("maxBytes", `expected a whole number of bytes from ${minBytes} to ${maxMax}${maxMax === 65_507 ? " (the largest UDP datagram)" : ""}`);
    const compress = get("compress").toLowerCase();
    if (compress !== "none" && compress !== "gzip" && compress !== "zlib") fail("compress", "expected none, gzip or zlib");
    if (compress !== "none" && !(type === "gelf" && protocol === "udp") && !(type === "file" && compress === "gzip")) {
      fail("compress", type === "file" ? "expected none or gzip for a file target" : "compression is for gelf targets over udp (GELF over TCP is never compressed) and the archives of file targets");
    }
    const chunkSize = wholeNumber(get("chunkSize"), 512, 65467);
    if (chunkSize === undefined) fail("chunkSize", "expected a whole number of bytes from 512 to 65467");

    const pem = (option: string): string | undefined => {
      if (!given(option)) return undefined;
      const path = get(option);
      const absolute = isAbsolute(path) ? path : resolve(baseDir, path);
      try {
        const text = readFileSync(absolute, "utf8");
        if (!text.includes("-----BEGIN ")) {
          fail(option, `expected a PEM file; ${absolute} has no -----BEGIN line`);
          return undefined;
        }
        return text;
      } catch (error) {
        fail(option, `cannot read ${absolute} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        return undefined;
      }
    };
    const ca = pem("tls.ca");
    const cert = pem("tls.cert");
    const tlsKey = pem("tls.key");
    if ((cert === undefined) !== (tlsKey === undefined) && (given("tls.cert") !== given("tls.key"))) {
      fail(given("tls.cert") ? "tls.key" : "tls.cert", "mutual TLS needs both tls.cert and tls.key");
    }
    // The material is checked as TLS will use it (a key that does not match its certificate, a
    // PEM that does not parse): a ConfigError now instead of a failure at every connection.
    let secureContext: SecureContext | undefined;
    if (protocol === "tls" && problems.length === before) {
      try {
        secureContext = createSecureContext({ ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(tlsKey !== undefined ? { key: tlsKey } : {}) });
      } catch (error) {
        const message = (error as Error).message;
        fail(cert !== undefined && /key|cert/i.test(message) ? "tls.key" : "tls.ca", `the TLS material cannot be used: ${message}`);
      }
    }
    const insecureText = get("tls.insecure").toLowerCase();
    if (insecureText !== "true" && insecureText !== "false") fail("tls.insecure", "expected true or false");
    const insecure = insecureText === "true";
    if (protocol !== "tls" && type !== "file" && (given("tls.ca") || given("tls.cert") || given("tls.key") || insecure)) {
      warnings.push({ key: key("protocol"), value: options.get("protocol")?.value ?? protocol, line: options.get("protocol")?.line, expected: "tls.* options are ignored: the protocol is not tls" });
    }
    if (insecure && protocol === "tls" && typeText !== "none") {
      warnings.push({
        key: key("tls.insecure"),
        value: options.get("tls.insecure")?.value ?? "true",
        line: options.get("tls.insecure")?.line,
        expected: "the server certificate of this target is NOT verified: anyone between here and the receiver can read and change the audit records",
      });
    }

    // Records always pass through the queue on their way out, so it holds at least one.
    const bufferSize = wholeNumber(get("buffer.size"), 1, 100_000_000);
    if (bufferSize === undefined) fail("buffer.size", "expected a whole number of records from 1 to 100000000");
    let spool: string | undefined;
    if (given("spool")) {
      const path = get("spool");
      spool = isAbsolute(path) ? path : resolve(baseDir, path);
      if (type === "file") fail("spool", "a file target needs no spool");
      const other = spools.get(spool);
      if (other !== undefined) fail("spool", `the folder is already the spool of target "${other}"; every target needs its own`);
      else spools.set(spool, name);
    }
    const spoolMaxBytes = parseFileSize(get("spool.maxSize"));
    if (spoolMaxBytes === undefined) fail("spool.maxSize", "expected a size in bytes, optionally with KB, MB or GB");
    const resendMs = wholeNumber(get("resendMs"), 0, 600_000);
    if (resendMs === undefined) fail("resendMs", "expected a whole number of milliseconds from 0 to 600000");
    const stallMs = wholeNumber(get("stallMs"), 100, 600_000);
    if (stallMs === undefined) fail("stallMs", "expected a whole number of milliseconds from 100 to 600000");

    let file: TargetSpec["file"];
    if (type === "file") {
      const path = get("path");
      const maxSize = parseFileSize(get("size"));
      const maxArchives = wholeNumber(get("count"), 1, 10000);
      if (path === "") fail("path", "a file target needs a path");
      if (maxSize === undefined) fail("size", "expected a size in bytes greater than 0, optionally with KB, MB or GB");
      if (maxArchives === undefined) fail("count", "expected a whole number of archives from 1 to 10000");
      const maxAgeDays = wholeNumber(get("maxAge"), 0, 36500);
      if (maxAgeDays === undefined) fail("maxAge", "expected a whole number of days from 0 to 36500");
      if (path !== "" && maxSize !== undefined && maxArchives !== undefined && maxAgeDays !== undefined) {
        file = { path: isAbsolute(path) ? path : resolve(baseDir, path), maxSize, maxArchives, compress: compress === "gzip", maxAgeDays };
      }
    }

    if (problems.length > before) continue;
    const digest = (text: string | undefined): string | undefined => (text === undefined ? undefined : createHash("sha256").update(text).digest("hex"));
    const fingerprint = JSON.stringify([
      name, type, protocol, host, port, format, pattern, level, get("include"), get("exclude"), get("rateLimit"), get("rateLimit.events"),
      facility, appName, hostname, maxBytes, compress, chunkSize, digest(ca), digest(cert), digest(tlsKey), get("tls.servername"), insecure,
      bufferSize, spool, spoolMaxBytes, resendMs, file, stallMs,
    ]);
    targets.push({
      name,
      type,
      protocol,
      host,
      port,
      format,
      pattern,
      layout,
      level,
      accepts,
      rateLimit,
      facility,
      appName,
      hostname,
      maxBytes: maxBytes as number,
      compress: compress as TargetSpec["compress"],
      chunkSize: chunkSize as number,
      tls: { secureContext, servername: get("tls.servername") || host, insecure },
      bufferSize: bufferSize as number,
      spool,
      spoolMaxBytes: spoolMaxBytes as number,
      resendMs: resendMs as number,
      stallMs: stallMs as number,
      file,
      fingerprint,
    });
  }
  return { targets, problems, warnings };
}
