/**
 * Named remote and file targets, `target.<name>.<option>` after the key prefix: the options
 * (declared with their parsers in `keys.ts`) grouped by target, parsed, and checked against the
 * target's type and format into {@link TargetSpec}s (every problem names key, value and line).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { createHash } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import type { LayoutEvent } from "../layout/pattern.js";
import { originProblem, rfc5424MinMaxBytes, sdIdProblem } from "../format/rfc5424.js";
import { compileEcsEventTable, ecsStaticFieldProblem, parseEcsCategorization, type EcsCategorization } from "../format/ecs.js";
import { gelfStaticFieldProblem } from "../format/gelf.js";
import { jsonStaticFieldProblem } from "../format/json.js";
import type { ConfigProblem } from "./errors.js";
import { compileGlobs } from "./glob.js";
import type { TargetByFormat, TargetByProtocol, TargetByType, TargetConsole, TargetFile, TargetFormat, TargetProtocol, TargetSpec, TargetType } from "../targets/spec.js";
import { canonicalValue, TARGET_KEYS, targetOptionSpec, type TargetKeySpec, type TargetOption, type TargetValues } from "./keys.js";
import { wholeNumber, type Parsed, type Parser } from "./parsers.js";

// Where these lived before the key table had a file of its own; importers of targets.js keep working.
export { TARGET_KEYS, type TargetKeySpec };

const OPTIONS = new Map<string, TargetKeySpec<unknown>>(TARGET_KEYS.map((k) => [k.option, k as TargetKeySpec<unknown>]));

/** One `target.*` property. */
export interface TargetProperty {
  /** The full key. */
  readonly key: string;
  /** The key after the prefix: `target.<name>.<option>`. */
  readonly name: string;
  readonly value: string;
  readonly line: number | undefined;
}

const FORMATS: Readonly<Record<TargetType, readonly TargetFormat[]>> = {
  syslog: ["rfc5424", "rfc3164"],
  tcp: ["json", "ecs", "gelf", "plain"],
  gelf: ["gelf"],
  file: ["json", "ecs", "gelf", "plain"],
  console: ["json", "ecs", "gelf", "plain", "rfc5424", "rfc3164"],
};
const PROTOCOLS: Readonly<Record<TargetType, readonly TargetProtocol[]>> = {
  syslog: ["tcp", "udp", "tls", "relp"],
  tcp: ["tcp", "tls"],
  gelf: ["udp", "tcp", "tls"],
  file: [],
  console: [],
};
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
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
  const familiesOf = new Map<string, Map<string, TargetProperty>>();
  for (const property of properties) {
    const rest = property.name.slice("target.".length);
    const dot = rest.indexOf(".");
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const option = dot < 0 ? "" : rest.slice(dot + 1);
    if (!NAME.test(name) || option === "") {
      problems.push({ key: property.key, value: property.value, line: property.line, expected: "expected target.<name>.<option> with a name of letters, digits, _ and - (at most 64)" });
      continue;
    }
    const known = targetOptionSpec(option);
    if (known === undefined) {
      problems.push({
        key: property.key,
        value: property.value,
        line: property.line,
        expected: `unknown target option "${option}"; expected one of ${TARGET_KEYS.map((k) => k.option).join(", ")}`,
      });
      continue;
    }
    if (known.member !== undefined) {
      // A member of a family (field.<name>, ecs.event.<glob>): kept by its whole option, checked with its target.
      let members = familiesOf.get(name);
      if (members === undefined) familiesOf.set(name, (members = new Map()));
      const earlier = members.get(option);
      if (earlier !== undefined) {
        warnings.push({ key: property.key, value: property.value, line: property.line, expected: `repeats the key of line ${earlier.line ?? "?"}; this later value wins` });
      }
      members.set(option, property);
      if (!byTarget.has(name)) byTarget.set(name, new Map());
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
  const context = { baseDir };
  for (const [name, options] of [...byTarget].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const key = (option: string): string => `${keyPrefix}target.${name}.${option}`;
    const get = (option: TargetOption): string => {
      const property = options.get(option);
      return property === undefined || property.value.trim() === "" ? (OPTIONS.get(option) as TargetKeySpec<unknown>).defaultValue : property.value.trim();
    };
    const given = (option: TargetOption): boolean => options.has(option) && (options.get(option) as TargetProperty).value.trim() !== "";
    const before = problems.length;
    const warn = (option: TargetOption, expected: string): void => {
      const property = options.get(option);
      warnings.push({ key: key(option), value: property?.value, line: property?.line, expected });
    };
    const fail = (option: TargetOption, expected: string): void => {
      const property = options.get(option);
      problems.push({ key: key(option), value: property?.value, line: property?.line ?? options.values().next().value?.line, expected });
    };
    // Every option is parsed by its parser of the key table; a problem is reported where the
    // option matters for this target (the port of a file target is not looked at).
    const parsed = new Map<string, Parsed<unknown>>(TARGET_KEYS.map((spec) => [spec.option, (spec.parse as Parser<unknown>)(get(spec.option), context)]));
    const value = <O extends TargetOption>(option: O): TargetValues[O] | undefined => {
      const result = parsed.get(option) as Parsed<TargetValues[O]>;
      if (result.ok) return result.value;
      fail(option, result.expected);
      return undefined;
    };

    const typeText = value("type") ?? "";
    if (typeText === "") {
      fail("type", "a target needs a type: syslog, tcp, gelf, file, console or none");
      continue;
    }
    if (typeText === "none") continue;
    if (!(typeText in FORMATS)) {
      fail("type", "expected syslog, tcp, gelf, file, console or none");
      continue;
    }
    const type = typeText as TargetType;
    // A file or console target writes here; the others send to a receiver.
    const remote = type !== "file" && type !== "console";

    const protocols = PROTOCOLS[type];
    const protocolText = value("protocol") || (type === "gelf" ? "udp" : "tcp");
    if (remote && !protocols.includes(protocolText as TargetProtocol)) fail("protocol", `expected ${protocols.join(", ")} for a ${type} target`);
    const protocol = protocolText as TargetProtocol;

    const host = value("host") ?? "";
    if (remote && host === "") fail("host", `a ${type} target needs a host`);
    if (/\s/.test(host)) fail("host", "expected a host name or IP address without spaces");
    let port = 0;
    if (remote) {
      if (given("port")) {
        port = value("port") ?? 0;
      } else if (type === "tcp") {
        fail("port", "a tcp target needs a port");
      } else {
        port = type === "gelf" ? 12201 : protocol === "tls" ? 6514 : protocol === "relp" ? 2514 : 514;
      }
    }

    const formatText = value("format") || (FORMATS[type][0] as string);
    if (!FORMATS[type].includes(formatText as TargetFormat)) fail("format", `expected ${FORMATS[type].join(", ")} for a ${type} target`);
    const format = formatText as TargetFormat;
    const pattern = value("pattern") ?? "";
    let layout: ((event: LayoutEvent) => string) | undefined;
    if (format === "plain") {
      try {
        layout = compileLayout(pattern);
      } catch (error) {
        fail("pattern", `expected a logback pattern: ${(error as Error).message}`);
      }
    }

    const { fields, ecsRows } = structuredOptions(familiesOf.get(name) ?? new Map(), format, problems);
    const shortMessage = value("shortMessage");
    const fullMessage = value("fullMessage");
    for (const option of ["shortMessage", "fullMessage"] as const) {
      if (given(option) && format !== "gelf") fail(option, `a template for GELF messages; this target's format is ${format}`);
    }

    const level = value("level");
    const include = compileGlobs(value("include") ?? []);
    const excludeList = value("exclude") ?? [];
    const exclude = excludeList.length === 0 ? undefined : compileGlobs(excludeList);
    const accepts = exclude === undefined ? include : (id: string): boolean => include(id) && !exclude(id);
    const rate = value("rateLimit");
    const rateLimit: TargetSpec["rateLimit"] = rate === undefined ? undefined : { ...rate, applies: compileGlobs(value("rateLimit.events") ?? []) };

    const facility = value("facility");
    const appName = value("appName") ?? "";
    const hostname = value("hostname") || osHostname();

    // RFC 5424 structured data and RFC 3164 time: checked where they apply, ignored (with a
    // warning) where they do not.
    const syslogFormat = format === "rfc5424" || format === "rfc3164";
    const framing = value("framing") ?? "octet-counting";
    if (given("framing") && !(type === "syslog" && protocol !== "udp" && protocol !== "relp")) {
      warn("framing", type === "syslog" ? `framing is for tcp and tls (${protocol === "relp" ? "RELP frames each record itself" : "a UDP datagram is one record"}); ignored` : `framing is for syslog targets over tcp or tls (a ${type} target frames its records ${type === "console" || type === "file" || type === "tcp" ? "one a line" : "with a NUL"}); ignored`);
    }
    const sdId = value("sdId") ?? "audit@32473";
    const sdIdIssue = sdIdProblem(sdId);
    if (sdIdIssue !== undefined && format === "rfc5424") fail("sdId", sdIdIssue);
    const sequenceId = value("sequenceId") ?? false;
    const software = value("origin.software") ?? "";
    const swVersion = value("origin.swVersion") ?? "";
    let origin: TargetSpec["origin"];
    if (software !== "") {
      const problem = originProblem("software", software);
      if (problem !== undefined) fail("origin.software", problem);
      const versionProblem = swVersion === "" ? undefined : originProblem("swVersion", swVersion);
      if (versionProblem !== undefined) fail("origin.swVersion", versionProblem);
      origin = { software, swVersion: swVersion === "" ? undefined : swVersion };
    } else if (swVersion !== "") {
      fail("origin.swVersion", "origin.swVersion needs origin.software (RFC 5424 §7.2.4: a version is of a software)");
    }
    for (const option of ["sdId", "sequenceId", "origin.software", "origin.swVersion"] as const) {
      if (given(option) && format !== "rfc5424") warn(option, `${option} is for format=rfc5424 (the structured data); this target writes ${format}; ignored`);
    }
    // integrity=on: the chain's lines as sealed, every one of them (integrity.mode is checked with the other keys).
    const integrity = value("integrity") === "on";
    if (integrity) {
      if (format !== "rfc5424" && format !== "plain") {
        fail("integrity", `integrity=on carries each line exactly as the hash chain sealed it, which format=rfc5424 (as MSG) and format=plain can; this target writes ${format}; expected format rfc5424 or plain, or integrity=off`);
      }
      for (const option of ["include", "exclude", "rateLimit"] as const) {
        if (given(option)) fail("integrity", `integrity=on carries every line of the chain, and ${option} would leave gaps the witness reports as undelivered; expected no ${option} with integrity=on, or integrity=off`);
      }
    }
    const timezone = value("timezone");
    if (given("timezone") && format !== "rfc3164") warn("timezone", `timezone is for format=rfc3164 (RFC 5424, JSON, GELF and ECS write UTC with the zone); this target writes ${format}; ignored`);

    const minBytes =
      format === "rfc3164" ? 128 : format === "rfc5424" ? rfc5424MinMaxBytes({ ...(sequenceId ? { sequence: () => 1 } : {}), ...(origin !== undefined ? { origin } : {}) }) : 512;
    // A UDP datagram carries at most 65507 bytes of payload (IPv4).
    const maxMax = type === "syslog" && protocol === "udp" ? 65_507 : 1_073_741_824;
    // The default follows the format: RFC 3164 caps a message at 1024 bytes; 8096 is rsyslog's default maxMessageSize.
    const maxBytesText = get("maxBytes") || (format === "rfc3164" ? "1024" : "8096");
    const maxBytesParsed = wholeNumber(minBytes, maxMax, `expected a whole number of bytes from ${minBytes} to ${maxMax}${maxMax === 65_507 ? " (the largest UDP datagram)" : ""}`, 10)(maxBytesText, context);
    if (!maxBytesParsed.ok && (syslogFormat || given("maxBytes"))) fail("maxBytes", maxBytesParsed.expected);
    const compress = value("compress") ?? "none";
    if (compress !== "none" && !(type === "gelf" && protocol === "udp") && !(type === "file" && compress === "gzip")) {
      fail("compress", type === "file" ? "expected none or gzip for a file target" : type === "console" ? "a console target writes uncompressed lines; expected none" : "compression is for gelf targets over udp (GELF over TCP is never compressed) and the archives of file targets");
    }
    const chunkSize = value("chunkSize");

    const pem = (option: "tls.ca" | "tls.cert" | "tls.key"): string | undefined => {
      if (!given(option)) return undefined;
      const absolute = value(option) ?? "";
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
    // RELP runs over TLS with relp.tls (it is not a protocol of its own there).
    const relpTls = protocol === "relp" && (value("relp.tls") ?? false);
    const usesTls = protocol === "tls" || relpTls;
    if (usesTls && problems.length === before) {
      try {
        secureContext = createSecureContext({ ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(tlsKey !== undefined ? { key: tlsKey } : {}) });
      } catch (error) {
        const message = (error as Error).message;
        fail(cert !== undefined && /key|cert/i.test(message) ? "tls.key" : "tls.ca", `the TLS material cannot be used: ${message}`);
      }
    }
    const insecure = value("tls.insecure") ?? false;
    if (!usesTls && remote && (given("tls.ca") || given("tls.cert") || given("tls.key") || insecure)) {
      warnings.push({
        key: key("protocol"),
        value: options.get("protocol")?.value ?? protocol,
        line: options.get("protocol")?.line,
        expected: protocol === "relp" ? "tls.* options are ignored: relp.tls is not true" : "tls.* options are ignored: the protocol is not tls",
      });
    }
    if (protocol !== "relp" && remote && (given("relp.tls") || given("relp.window") || given("relp.timeoutMs"))) {
      warnings.push({ key: key("protocol"), value: options.get("protocol")?.value ?? protocol, line: options.get("protocol")?.line, expected: "relp.* options are ignored: the protocol is not relp" });
    }
    if (insecure && usesTls) {
      warnings.push({
        key: key("tls.insecure"),
        value: options.get("tls.insecure")?.value ?? "true",
        line: options.get("tls.insecure")?.line,
        expected: "the server certificate of this target is NOT verified: anyone between here and the receiver can read and change the audit records",
      });
    }

    // Records always pass through the queue on their way out, so it holds at least one.
    const bufferSize = value("buffer.size");
    let spool: string | undefined;
    if (given("spool")) {
      spool = value("spool") ?? "";
      if (!remote) fail("spool", `a ${type} target needs no spool`);
      const other = spools.get(spool);
      if (other !== undefined) fail("spool", `the folder is already the spool of target "${other}"; every target needs its own`);
      else spools.set(spool, name);
    }
    const spoolMaxBytes = value("spool.maxSize");
    const resendMs = value("resendMs");
    const stallMs = value("stallMs");
    const relpWindow = value("relp.window");
    const relpTimeoutMs = value("relp.timeoutMs");

    let file: TargetFile | undefined;
    if (type === "file") {
      const path = value("path") ?? "";
      if (path === "") fail("path", "a file target needs a path");
      const maxSize = value("size");
      const maxArchives = value("count");
      const maxAgeDays = value("maxAge");
      if (path !== "" && maxSize !== undefined && maxArchives !== undefined && maxAgeDays !== undefined) {
        file = { path, maxSize, maxArchives, compress: compress === "gzip", maxAgeDays };
      }
    }

    let consoleStream: TargetConsole | undefined;
    if (type === "console") {
      const stream = value("stream");
      const blockMs = value("blockMs");
      if (stream !== undefined && blockMs !== undefined) consoleStream = { stream, blockMs };
    }

    if (problems.length > before) continue;
    const digest = (text: string | undefined): string | undefined => (text === undefined ? undefined : createHash("sha256").update(text).digest("hex"));
    // Every option, as parsed (an option this type does not look at, as written): a reload that
    // changes any of them rebuilds the target. The TLS files count by their contents.
    const fingerprint = JSON.stringify([
      name,
      TARGET_KEYS.map((spec) => {
        const result = parsed.get(spec.option) as Parsed<unknown>;
        return [spec.option, result.ok ? canonicalValue(spec as TargetKeySpec<unknown>, result.value) : get(spec.option)];
      }),
      digest(ca),
      digest(cert),
      digest(tlsKey),
      [...(familiesOf.get(name) ?? new Map<string, TargetProperty>())].map(([option, property]): [string, string] => [option, property.value.trim()]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ]);
    const byType: TargetByType | undefined =
      type === "file"
        ? file === undefined
          ? undefined
          : { type, file, console: undefined }
        : type === "console"
          ? consoleStream === undefined
            ? undefined
            : { type, file: undefined, console: consoleStream }
          : { type, file: undefined, console: undefined };
    const byProtocol: TargetByProtocol =
      protocol === "relp" ? { protocol, relp: { tls: relpTls, window: relpWindow as number, timeoutMs: relpTimeoutMs as number } } : { protocol, relp: undefined };
    const byFormat: TargetByFormat | undefined = format === "plain" ? (layout === undefined ? undefined : { format, layout }) : { format, layout: undefined };
    if (byType === undefined || byFormat === undefined) continue; // not reached: their problems were reported
    targets.push({
      name,
      host,
      port,
      pattern,
      level,
      accepts,
      rateLimit,
      facility: facility as number,
      appName,
      hostname,
      maxBytes: maxBytesParsed.ok ? maxBytesParsed.value : 0,
      framing,
      integrity,
      sdId,
      sequenceId,
      origin,
      timezone,
      compress,
      chunkSize: chunkSize as number,
      fields,
      shortMessage,
      fullMessage,
      ecsEvents: compileEcsEventTable(ecsRows),
      tls: { secureContext, servername: value("tls.servername") || host, insecure },
      bufferSize: bufferSize as number,
      spool,
      spoolMaxBytes: spoolMaxBytes as number,
      resendMs: resendMs as number,
      stallMs: stallMs as number,
      fingerprint,
      ...byType,
      ...byFormat,
      ...byProtocol,
    });
  }
  return { targets, problems, warnings };
}

/**
 * The families of a target's options for the structured formats: its static fields
 * (`field.<name>`, checked by the rules of its format, in name order; an empty value leaves the
 * field out) and the rows of its ECS event table (`ecs.event.<glob>`, in line order). Problems
 * name the property's own key.
 */
function structuredOptions(
  members: ReadonlyMap<string, TargetProperty>,
  format: TargetFormat,
  problems: ConfigProblem[],
): { fields: Array<readonly [string, string]>; ecsRows: Array<readonly [string, EcsCategorization | null]> } {
  const fields: Array<readonly [string, string]> = [];
  const ecsRows: Array<readonly [string, EcsCategorization | null, number]> = [];
  const fail = (property: TargetProperty, expected: string): void => {
    problems.push({ key: property.key, value: property.value, line: property.line, expected });
  };
  const structured = format === "json" || format === "ecs" || format === "gelf";
  for (const [option, property] of [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const value = property.value.trim();
    if (option.startsWith("field.")) {
      const field = option.slice("field.".length);
      if (!structured) {
        fail(property, `static fields are written by the json, ecs and gelf formats; this target's format is ${format}`);
        continue;
      }
      const problem = format === "gelf" ? gelfStaticFieldProblem(field) : format === "ecs" ? ecsStaticFieldProblem(field) : jsonStaticFieldProblem(field);
      if (problem !== undefined) {
        fail(property, problem);
        continue;
      }
      if (format === "ecs") {
        const clash = fields.find(([other]) => other.startsWith(field + ".") || field.startsWith(other + "."));
        if (clash !== undefined) {
          fail(property, `${field} and ${clash[0]} cannot both be ECS fields (one would be an object holding the other); expected one of them`);
          continue;
        }
      }
      if (value !== "") fields.push([field, value]);
    } else {
      if (format !== "ecs") {
        fail(property, `the ECS event table is for the ecs format; this target's format is ${format}`);
        continue;
      }
      if (value === "") continue;
      const parsed = parseEcsCategorization(value);
      if (!parsed.ok) fail(property, parsed.expected);
      else ecsRows.push([option.slice("ecs.event.".length), parsed.value, property.line ?? 0]);
    }
  }
  ecsRows.sort((a, b) => a[2] - b[2]);
  return { fields, ecsRows: ecsRows.map(([glob, row]) => [glob, row] as const) };
}
