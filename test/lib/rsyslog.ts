/**
 * A real rsyslog for tests: one `rsyslogd -n` child per call, on 127.0.0.1 only, with its own
 * configuration, work folder, pid file and output files in a scratch folder.
 *
 * Usage:
 * ```ts
 * import { startRsyslog, rsyslogAvailability } from "./lib/rsyslog.js";
 * const rs = await startRsyslog({ tcp: true, tls: true, mtls: true, udp: true, gelfTcp: true, gelfUdp: true });
 * t.teardown(() => rs.dispose());
 * // send to rs.ports.tls with ca = rs.certs.caCert and servername "localhost", then:
 * const [line] = await rs.waitForLines(rs.files.tls.raw, 1);       // "<110>1 2024-… [ex@32473 …] msg"
 * const [rec] = rs.readJson(rs.files.tls.json);                      // { hostname, appName, msgid, structuredData, msg, … }
 * await rs.kill(); await rs.restart();                               // crash, then the same ports and files again
 * ```
 *
 * What the tests see (rsyslog 8.2302, Debian 12):
 * - One line per record in every output file. rsyslog escapes control characters when it
 *   receives a message (`parser.escapeControlCharactersOnReceive`, on by default): an embedded LF
 *   is stored as `#012`, a TAB as `#011`, in general `#` and three octal digits. So an embedded
 *   newline stays inside its record; {@link decodeRsyslogEscapes} turns the escapes back (a
 *   literal `#012` typed by a sender is indistinguishable). A UTF-8 BOM at the start of MSG is
 *   kept (RFC 5424 allows it); non-ASCII UTF-8 is stored as is.
 * - `maxMessageSize` is raised from rsyslog's default of 8096 bytes to 64 KiB (option
 *   {@link RsyslogOptions.maxMessageSize}): with the default, rsyslog splits a longer
 *   octet-counted record into two, cutting inside a UTF-8 character, so a test would see
 *   rsyslog's cut instead of the sender's. With 64 KiB, what arrives is what the sender sent
 *   (including the sender's own size limit and marker).
 * - Plain TCP (imptcp) and TLS (imtcp + gtls) accept octet-counted framing (`LEN SP MSG`) and also
 *   LF-terminated frames, as RFC 6587 receivers do; GELF over TCP accepts only NUL-terminated
 *   frames (no octet counting).
 * - Nil RFC 5424 fields (`-`) are stored as `-` in the parsed and JSON files.
 * - RELP inputs (imrelp, Debian package rsyslog-relp) get a port picked free by Node (imrelp has no
 *   port file) and make the main queue Direct: an acknowledgement then means the record is in the
 *   output files, which is what a test killing rsyslog needs (see docs/targets.md's recipe).
 * - rsyslog's own messages (start, TLS refusals such as "peer did not provide a certificate",
 *   oversize warnings, "Incomplete frame") go to {@link RsyslogHandle.files}.internal and, with
 *   startup errors, to {@link RsyslogHandle.files}.stderr.
 *
 * Isolation: no imuxsock and no imklog (no /dev/log, no kernel log, no conflict with a system
 * rsyslog), `processInternalMessages="on"` so rsyslog's own messages never go to the host's
 * syslog, no DNS lookups. TCP listeners bind port 0 and report the port through
 * `listenPortFileName` (no race between parallel tests); UDP ports are picked free by Node and
 * checked after start (retried on a clash). The child gets `setpriv --pdeathsig KILL` where
 * available and is killed on the test process's `exit`, so no rsyslogd outlives its test.
 */
import { freeTcpPort } from "./helpers.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer, type AddressInfo } from "node:net";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTestCerts, type TestCerts } from "./certs.js";

/** The inputs {@link startRsyslog} can open; each gets its own port, ruleset and output files. */
export type RsyslogInput = "tcp" | "tls" | "mtls" | "udp" | "gelfTcp" | "gelfUdp" | "relp" | "relpTls" | "relpMtls";

/**
 * Every input name, in the order they appear in the generated configuration.
 *
 * @example
 * ```ts
 * const enabled = RSYSLOG_INPUTS.filter((i) => options[i] === true);
 * ```
 */
export const RSYSLOG_INPUTS: readonly RsyslogInput[] = ["tcp", "tls", "mtls", "udp", "gelfTcp", "gelfUdp", "relp", "relpTls", "relpMtls"];

/** Where rsyslogd usually lives on Debian (it is not on a non-root user's PATH there). */
const RSYSLOGD_CANDIDATES = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/local/sbin/rsyslogd"];

/**
 * Options of {@link startRsyslog}: which inputs to open (all off by default; at least one).
 * Write them as a literal (`{ tls: true }`) so the handle's `ports` and `files` are typed.
 *
 * @example
 * ```ts
 * const rs = await startRsyslog({ mtls: true, certs: await generateTestCerts(join(dir, "certs")), dir, maxMessageSize: 2048 });
 * ```
 */
export interface RsyslogOptions {
  /** Plain TCP syslog (imptcp): octet-counting (RFC 6587) and LF framing. */
  readonly tcp?: boolean;
  /** TLS syslog (imtcp + gtls, RFC 5425), server authentication only (`AuthMode="anon"`: any client). */
  readonly tls?: boolean;
  /** Mutual TLS syslog: `AuthMode="x509/name"`, `PermittedPeer=["audit-client"]`, client certificates checked against the CA. */
  readonly mtls?: boolean;
  /** UDP syslog (imudp). */
  readonly udp?: boolean;
  /** GELF over TCP: NUL-terminated frames (`AddtlFrameDelimiter="0"`, `SupportOctetCountedFraming="off"`). */
  readonly gelfTcp?: boolean;
  /** GELF over UDP, uncompressed and unchunked only (compressed or chunked GELF: use the Node receiver in gelf-receiver.ts). */
  readonly gelfUdp?: boolean;
  /** RELP (imrelp, Debian package rsyslog-relp): every message acknowledged. */
  readonly relp?: boolean;
  /** RELP over TLS (imrelp `tls="on"`, `tls.authMode="certvalid"`): any client certificate the CA signed (imrelp always asks for one). */
  readonly relpTls?: boolean;
  /** RELP over mutual TLS: `tls.authMode="name"`, `tls.permittedPeer=["audit-client"]`, client certificates checked against the CA. */
  readonly relpMtls?: boolean;
  /** Certificates for the TLS inputs; generated in `<dir>/certs` when absent. */
  readonly certs?: TestCerts;
  /** Scratch folder for configuration, work folder and output files; a fresh temporary folder (removed by `dispose()`) when absent. */
  readonly dir?: string;
  /** rsyslog's `maxMessageSize` in bytes; default 65536 (rsyslog's own default of 8096 would split longer records). */
  readonly maxMessageSize?: number;
  /** Raw rsyslog configuration appended at the end (for special cases; it is validated like the rest). */
  readonly extraConfig?: string;
  /** How long to wait for rsyslogd to listen on every port; default 20000 ms. */
  readonly startTimeoutMs?: number;
}

/**
 * The inputs an options object switches on with a literal `true`.
 *
 * @example
 * ```ts
 * type I = EnabledInputs<{ tcp: true; udp: false }>; // "tcp"
 * ```
 */
export type EnabledInputs<O extends RsyslogOptions> = { [K in RsyslogInput]: O[K] extends true ? K : never }[RsyslogInput];

/** Output files of a syslog input (tcp, tls, mtls, udp). */
export interface SyslogFiles {
  /** `%rawmsg%`: the message as received (without the octet count), one per line. */
  readonly raw: string;
  /** The parsed fields as in the reference configuration: `TIMESTAMP host=… app=… procid=… msgid=… sd=… msg=…`. */
  readonly parsed: string;
  /** The same fields as one JSON object per line (unambiguous; read it with {@link RsyslogHandle.readJson}). */
  readonly json: string;
  /** `%msg%`: MSG alone, one per line: the documented template of the chain's witness (docs/integrity.md, `slf4tsWitness`). */
  readonly witness: string;
}

/** Output file of a GELF input (gelfTcp, gelfUdp): the GELF JSON document as received, one per line. */
export interface GelfFiles {
  readonly raw: string;
}

/** The output files of each input, plus rsyslog's own messages. */
export type RsyslogFiles<I extends RsyslogInput> = { readonly [K in I]: K extends "gelfTcp" | "gelfUdp" ? GelfFiles : SyslogFiles } & {
  /** rsyslog's own messages (default ruleset): start, stop, TLS refusals, oversize and framing warnings. */
  readonly internal: string;
  /** rsyslogd's stdout and stderr, appended over restarts. */
  readonly stderr: string;
};

/**
 * One record of a `json` output file, as rsyslog parsed it (RFC 5424 or RFC 3164).
 *
 * @example
 * ```ts
 * const [record] = rs.readJson(rs.files.tls.json);
 * t.is(record?.msgid, "ox.login");
 * ```
 */
export interface RsyslogRecord {
  /** TIMESTAMP as RFC 3339 (rsyslog's `timereported`, the receive time when the message had none). */
  readonly timestamp: string;
  readonly hostname: string;
  /** APP-NAME (for RFC 3164: the tag without `[pid]:`). */
  readonly appName: string;
  /** PROCID, `-` when nil. */
  readonly procid: string;
  /** MSGID, `-` when nil. */
  readonly msgid: string;
  /** The STRUCTURED-DATA as sent (escapes kept), `-` when nil. */
  readonly structuredData: string;
  /** MSG with control characters escaped (`#012`), BOM kept. */
  readonly msg: string;
}

/**
 * A running (or stopped) rsyslogd started by {@link startRsyslog}.
 *
 * @example
 * ```ts
 * const rs = await startRsyslog({ tcp: true });
 * t.teardown(() => rs.dispose());
 * await rs.kill();            // crash in the middle of a stream
 * await rs.restart();         // back on rs.ports.tcp
 * const lines = await rs.waitForLines(rs.files.tcp.raw, 10);
 * ```
 */
export interface RsyslogHandle<I extends RsyslogInput = RsyslogInput> {
  /** The scratch folder. */
  readonly dir: string;
  /** The loopback port of each enabled input; kept by `restart()`. */
  readonly ports: { readonly [K in I]: number };
  /** Output files per input, plus `internal` and `stderr`. Files appear with their first record. */
  readonly files: RsyslogFiles<I>;
  /** The certificates the TLS inputs use (generated when not given). */
  readonly certs: TestCerts;
  /** The configuration file passed to rsyslogd. */
  readonly configFile: string;
  /** Process id of the current rsyslogd, undefined when it is not running. */
  readonly pid: number | undefined;
  /** Whether rsyslogd is running. */
  readonly running: boolean;
  /** SIGTERM, then waits for rsyslogd to exit (it writes what it has queued); SIGKILL after 10 s. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: what rsyslogd had queued in memory is lost) and waits for the exit. No-op when not running. */
  kill(): Promise<void>;
  /** Stops rsyslogd if it runs, then starts it again on the same ports, appending to the same files. */
  restart(): Promise<void>;
  /** The records (lines) of an output file; [] when it does not exist yet. */
  readRecords(file: string): string[];
  /** The records of a `json` output file as objects. */
  readJson(file: string): RsyslogRecord[];
  /** Waits until `file` holds at least `count` records and returns all of them; rejects after `timeoutMs` (default 10000) with what is there. */
  waitForLines(file: string, count: number, timeoutMs?: number): Promise<string[]>;
  /** Waits until some record of `file` matches `pattern` and returns it; rejects after `timeoutMs` (default 10000). */
  waitForMatch(file: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills rsyslogd if it runs and removes the scratch folder when the harness made it. For `t.teardown`. */
  dispose(): Promise<void>;
}

/**
 * Whether rsyslogd can be run here, and if not, why; see {@link rsyslogAvailability}.
 *
 * @example
 * ```ts
 * const { available, reason } = rsyslogAvailability();
 * ```
 */
export interface RsyslogAvailability {
  readonly available: boolean;
  /** The rsyslogd executable, when found. */
  readonly path?: string;
  /** Why not, when not available. */
  readonly reason?: string;
}

let availability: RsyslogAvailability | undefined;

/**
 * Finds rsyslogd (the environment variable `SLF4TS_RSYSLOGD` names another executable; a path that
 * does not exist makes rsyslog unavailable, which is how the missing-rsyslog error is checked) and checks
 * that its GnuTLS network driver (Debian package `rsyslog-gnutls`) and `openssl` are installed.
 * Cached for the process.
 *
 * @example
 * ```ts
 * const rsyslog = rsyslogAvailability();
 * if (!rsyslog.available) throw new Error(rsyslog.reason);
 * ```
 */
export function rsyslogAvailability(): RsyslogAvailability {
  if (availability !== undefined) return availability;
  const override = process.env["SLF4TS_RSYSLOGD"];
  const onPath = override === undefined ? spawnSync("sh", ["-c", "command -v rsyslogd"], { encoding: "utf8" }).stdout.trim() : "";
  const path = override !== undefined ? (existsSync(override) ? override : undefined) : onPath !== "" ? onPath : RSYSLOGD_CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) {
    availability = { available: false, reason: "rsyslogd not found (install the Debian packages rsyslog and rsyslog-gnutls)" };
    return availability;
  }
  const version = spawnSync(path, ["-v"], { encoding: "utf8" });
  if (version.status !== 0) {
    availability = { available: false, path, reason: `${path} -v failed: ${version.stderr || version.error?.message}` };
    return availability;
  }
  // The driver lives beside the other modules; rsyslogd -v does not show the module folder, so look where Debian puts it.
  const gtls = ["/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog", "/usr/lib64/rsyslog"]
    .map((d) => join(d, "lmnsd_gtls.so"))
    .find((p) => existsSync(p));
  if (gtls === undefined) {
    availability = { available: false, path, reason: "rsyslog's GnuTLS driver lmnsd_gtls.so not found (install the Debian package rsyslog-gnutls)" };
    return availability;
  }
  if (spawnSync("openssl", ["version"]).status !== 0) {
    availability = { available: false, path, reason: "the openssl command is missing (install the Debian package openssl)" };
    return availability;
  }
  availability = { available: true, path };
  return availability;
}

let pdeathsig: boolean | undefined;
/** Whether `setpriv --pdeathsig` exists (util-linux ≥ 2.33): then rsyslogd dies with its parent even on SIGKILL. */
function hasPdeathsig(): boolean {
  pdeathsig ??= spawnSync("setpriv", ["--help"], { encoding: "utf8" }).stdout?.includes("--pdeathsig") ?? false;
  return pdeathsig;
}

/** Children alive right now, killed when the test process exits (AVA workers exit after their file). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** A UDP port free right now on 127.0.0.1 (rsyslog's imudp has no port file, so it cannot bind port 0 and tell us). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Socket inodes open in a process. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/**
 * Whether `pid` has a socket on 127.0.0.1:`port` in the given state (`/proc/net/tcp` LISTEN =
 * 0A, `/proc/net/udp` unconnected = 07). Proves the port is rsyslogd's, not another process's.
 */
function ownsPort(pid: number, proto: "tcp" | "udp", port: number): boolean {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const state = proto === "tcp" ? "0A" : "07";
  const inodes = socketInodes(pid);
  return readFileSync(`/proc/net/${proto}`, "utf8")
    .split("\n")
    .slice(1)
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === want && f[3] === state && f[9] !== undefined && inodes.has(f[9]);
    });
}

const TCP_INPUTS = new Set<RsyslogInput>(["tcp", "tls", "mtls", "gelfTcp"]);
/** imrelp has no listenPortFileName: its TCP port is picked free by Node, like the UDP ones, and checked after start. */
const RELP_INPUTS = new Set<RsyslogInput>(["relp", "relpTls", "relpMtls"]);
const GELF_INPUTS = new Set<RsyslogInput>(["gelfTcp", "gelfUdp"]);

/** rsyslog string literal: the paths come from os.tmpdir() and may in theory hold a quote or backslash. */
const q = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(none)";
  }
}

/**
 * Turns rsyslog's `#ooo` control-character escapes back into the characters. A sender's literal
 * `#012` comes back as a newline too: rsyslog does not escape `#` itself.
 *
 * @example
 * ```ts
 * decodeRsyslogEscapes("line one#012line two#011tab"); // "line one\nline two\ttab"
 * ```
 */
export function decodeRsyslogEscapes(stored: string): string {
  return stored.replace(/#([0-3][0-7]{2})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Starts a real rsyslogd on 127.0.0.1 with the inputs asked for, each with its own free port,
 * ruleset and output files (see the file comment for what the files hold). The configuration is
 * validated first (`rsyslogd -N1`); an invalid one, a missing rsyslogd, an early exit or a port
 * that never listens rejects with rsyslog's own output in the message.
 *
 * @example
 * ```ts
 * const rs = await startRsyslog({ tcp: true });
 * t.teardown(() => rs.dispose());
 * const body = Buffer.from('<110>1 2024-01-02T03:04:05Z host app 42 login [ex@32473 user="u"] hello');
 * const socket = net.connect(rs.ports.tcp, "127.0.0.1", () => socket.end(Buffer.concat([Buffer.from(`${body.length} `), body])));
 * const [record] = await rs.waitForLines(rs.files.tcp.raw, 1);
 * ```
 */
export async function startRsyslog<const O extends RsyslogOptions>(options: O): Promise<RsyslogHandle<EnabledInputs<O>>> {
  const found = rsyslogAvailability();
  if (!found.available || found.path === undefined) throw new Error(`cannot start rsyslog: ${found.reason}`);
  const rsyslogd = found.path;
  const inputs = RSYSLOG_INPUTS.filter((i) => options[i] === true);
  if (inputs.length === 0) throw new Error("startRsyslog: switch on at least one input (tcp, tls, mtls, udp, gelfTcp, gelfUdp)");
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "slf4ts-rsyslog-"));
  mkdirSync(join(dir, "work"), { recursive: true });
  const certs = options.certs ?? (await generateTestCerts(join(dir, "certs")));
  const maxMessageSize = options.maxMessageSize ?? 65536;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const configFile = join(dir, "rsyslog.conf");
  const pidFile = join(dir, "rsyslogd.pid");

  const files: Record<string, unknown> = { internal: join(dir, "internal.log"), stderr: join(dir, "rsyslogd.stderr") };
  for (const i of inputs) {
    files[i] = GELF_INPUTS.has(i)
      ? { raw: join(dir, `${i}.raw.log`) }
      : { raw: join(dir, `${i}.raw.log`), parsed: join(dir, `${i}.parsed.log`), json: join(dir, `${i}.json.log`), witness: join(dir, `${i}.witness.log`) };
  }
  const fileOf = (i: RsyslogInput, kind: "raw" | "parsed" | "json" | "witness"): string => (files[i] as Record<string, string>)[kind] ?? "";
  const portFile = (i: RsyslogInput): string => join(dir, `${i}.port`);
  const ports: Partial<Record<RsyslogInput, number>> = {};

  const config = (): string => {
    // imtcp's TLS takes the global driver certificates; imrelp names its own per input.
    const tlsUsed = inputs.includes("tls") || inputs.includes("mtls");
    const out: string[] = [
      "# Generated by test/lib/rsyslog.ts. No imuxsock/imklog: this rsyslogd reads only the loopback inputs below.",
      `global(workDirectory=${q(join(dir, "work"))} maxMessageSize="${maxMessageSize}"`,
      `  net.enableDNS="off" processInternalMessages="on"${tlsUsed ? "" : ")"}`,
    ];
    if (tlsUsed) {
      out.push(
        `  DefaultNetstreamDriverCAFile=${q(certs.caCert)}`,
        `  DefaultNetstreamDriverCertFile=${q(certs.serverCert)}`,
        `  DefaultNetstreamDriverKeyFile=${q(certs.serverKey)})`,
      );
    }
    if (inputs.includes("tcp") || inputs.includes("gelfTcp")) out.push('module(load="imptcp")');
    if (tlsUsed) out.push('module(load="imtcp")');
    if (inputs.includes("udp") || inputs.includes("gelfUdp")) out.push('module(load="imudp")');
    if (inputs.some((i) => RELP_INPUTS.has(i))) {
      // imrelp acknowledges a message once it is submitted to the queue; with a Direct main queue
      // that is after omfile wrote it, so a SIGKILL of rsyslog never loses an acknowledged message
      // (with the default in-memory queue it would: that is rsyslog's side of "delivered").
      out.push('main_queue(queue.type="Direct")', 'module(load="imrelp")');
    }
    for (const i of inputs) {
      // TCP inputs bind port 0 first and report the port; a restart reuses it.
      const port = ports[i] ?? 0;
      const common = `address="127.0.0.1" port="${port}" ruleset="${i}"`;
      const portOut = `listenPortFileName=${q(portFile(i))}`;
      switch (i) {
        case "tcp":
          out.push(`input(type="imptcp" ${common} ${portOut})`);
          break;
        case "tls":
          out.push(`input(type="imtcp" ${common} ${portOut} StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")`);
          break;
        case "mtls":
          out.push(
            `input(type="imtcp" ${common} ${portOut} StreamDriver.Name="gtls" StreamDriver.Mode="1"`,
            '  StreamDriver.AuthMode="x509/name" PermittedPeer=["audit-client"])',
          );
          break;
        case "gelfTcp":
          out.push(`input(type="imptcp" ${common} ${portOut} AddtlFrameDelimiter="0" SupportOctetCountedFraming="off")`);
          break;
        case "udp":
        case "gelfUdp":
          out.push(`input(type="imudp" ${common})`);
          break;
        case "relp":
          out.push(`input(type="imrelp" ${common})`);
          break;
        case "relpTls":
          // imrelp (librelp 1.11, GnuTLS) asks a client certificate whenever it has one of its own
          // (there is no server-only mode): certvalid accepts any certificate the CA signed.
          out.push(`input(type="imrelp" ${common} tls="on" tls.caCert=${q(certs.caCert)} tls.myCert=${q(certs.serverCert)} tls.myPrivKey=${q(certs.serverKey)} tls.authMode="certvalid")`);
          break;
        case "relpMtls":
          out.push(
            `input(type="imrelp" ${common} tls="on" tls.caCert=${q(certs.caCert)} tls.myCert=${q(certs.serverCert)} tls.myPrivKey=${q(certs.serverKey)}`,
            '  tls.authMode="name" tls.permittedPeer=["audit-client"])',
          );
          break;
      }
    }
    out.push(
      'template(name="raw" type="string" string="%rawmsg%\\n")',
      'template(name="slf4tsWitness" type="string" string="%msg%\\n")',
      'template(name="parsed" type="list") {',
      '  property(name="timereported" dateFormat="rfc3339") constant(value=" host=") property(name="hostname")',
      '  constant(value=" app=") property(name="app-name") constant(value=" procid=") property(name="procid")',
      '  constant(value=" msgid=") property(name="msgid") constant(value=" sd=") property(name="structured-data")',
      '  constant(value=" msg=") property(name="msg" droplastlf="on") constant(value="\\n")',
      "}",
      'template(name="json" type="list" option.jsonf="on") {',
      '  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")',
      '  property(outname="hostname" name="hostname" format="jsonf")',
      '  property(outname="appName" name="app-name" format="jsonf")',
      '  property(outname="procid" name="procid" format="jsonf")',
      '  property(outname="msgid" name="msgid" format="jsonf")',
      '  property(outname="structuredData" name="structured-data" format="jsonf")',
      '  property(outname="msg" name="msg" droplastlf="on" format="jsonf")',
      "}",
    );
    for (const i of inputs) {
      const actions = GELF_INPUTS.has(i)
        ? [`action(type="omfile" file=${q(fileOf(i, "raw"))} template="raw")`]
        : [
            ...(["raw", "parsed", "json"] as const).map((k) => `action(type="omfile" file=${q(fileOf(i, k))} template="${k}")`),
            `action(type="omfile" file=${q(fileOf(i, "witness"))} template="slf4tsWitness")`,
          ];
      out.push(`ruleset(name="${i}") {`, ...actions.map((a) => `  ${a}`), "}");
    }
    out.push("# rsyslog's own messages (processInternalMessages) land in the default ruleset", `action(type="omfile" file=${q(files["internal"] as string)})`);
    if (options.extraConfig !== undefined) out.push(options.extraConfig);
    return out.join("\n") + "\n";
  };

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const validate = (): void => {
    const check = spawnSync(rsyslogd, ["-N1", "-f", configFile], { encoding: "utf8" });
    if (check.status !== 0) {
      throw new Error(`rsyslogd -N1 rejected ${configFile} (exit ${check.status}):\n${check.stderr}${check.stdout}\n--- config ---\n${readFileSync(configFile, "utf8")}`);
    }
  };

  const launch = async (): Promise<void> => {
    writeFileSync(configFile, config());
    validate();
    rmSync(pidFile, { force: true });
    for (const i of inputs) if (TCP_INPUTS.has(i)) rmSync(portFile(i), { force: true });
    const errFd = openSync(files["stderr"] as string, "a");
    const args = ["-n", "-f", configFile, "-i", pidFile];
    const c = hasPdeathsig()
      ? spawn("setpriv", ["--pdeathsig", "KILL", "--", rsyslogd, ...args], { stdio: ["ignore", errFd, errFd] })
      : spawn(rsyslogd, args, { stdio: ["ignore", errFd, errFd] });
    closeSync(errFd);
    child = c;
    track(c);
    let exitInfo: string | undefined;
    exited = new Promise<void>((resolve) => {
      c.once("exit", (code, signal) => {
        exitInfo = `exit code ${code}, signal ${signal}`;
        if (child === c) child = undefined;
        resolve();
      });
      c.once("error", (e) => {
        exitInfo = `spawn error ${e.message}`;
        if (child === c) child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + startTimeoutMs;
    const missing = (): string[] => {
      const pid = c.pid;
      if (pid === undefined) return inputs.slice();
      return inputs.filter((i) => {
        if (TCP_INPUTS.has(i)) {
          // rsyslog writes the port file only for port 0, i.e. on the first start
          if (ports[i] === undefined) {
            if (!existsSync(portFile(i))) return true;
            const reported = Number(readFileSync(portFile(i), "utf8").trim());
            if (!(reported > 0)) return true;
            ports[i] = reported;
          }
          return !ownsPort(pid, "tcp", ports[i] ?? 0);
        }
        if (RELP_INPUTS.has(i)) return !ownsPort(pid, "tcp", ports[i] ?? 0);
        return !ownsPort(pid, "udp", ports[i] ?? 0);
      });
    };
    for (;;) {
      if (exitInfo !== undefined) {
        throw new Error(`rsyslogd exited while starting (${exitInfo}):\n${tail(files["stderr"] as string)}\n--- internal ---\n${tail(files["internal"] as string)}`);
      }
      let left: string[];
      try {
        left = missing();
      } catch {
        left = ["?"]; // /proc entries vanish while the process dies; the next round sees the exit
      }
      if (left.length === 0) return;
      const udpClash = /Could not create udp listener|could not activate relp listener|Address already in use/i.test(tail(files["stderr"] as string, 200) + tail(files["internal"] as string, 200));
      if (udpClash || Date.now() > deadline) {
        c.kill("SIGKILL");
        await exited;
        if (udpClash) throw new UdpPortClash(`a UDP port was taken before rsyslogd could bind it:\n${tail(files["stderr"] as string)}`);
        throw new Error(`rsyslogd did not listen on ${left.join(", ")} within ${startTimeoutMs} ms:\n${tail(files["stderr"] as string)}\n--- internal ---\n${tail(files["internal"] as string)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const pickUdpPorts = async (): Promise<void> => {
    for (const i of inputs) if (!TCP_INPUTS.has(i)) ports[i] = RELP_INPUTS.has(i) ? await freeTcpPort() : await freeUdpPort();
  };

  await pickUdpPorts();
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (e) {
      if (!(e instanceof UdpPortClash) || attempt >= 3) {
        if (ownDir) rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      writeFileSync(files["stderr"] as string, ""); // the clash is handled; start the log afresh
      await pickUdpPorts();
    }
  }

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === undefined) return;
    c.kill(sig);
    if (sig === "SIGTERM") {
      const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  };

  const readRecords = (file: string): string[] => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return [];
    }
    return text === "" ? [] : text.replace(/\n$/, "").split("\n");
  };

  const waitUntil = async <T>(file: string, found: (records: string[]) => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = readRecords(file);
      const result = found(records);
      if (result !== undefined) return result;
      if (Date.now() > deadline) {
        throw new Error(`${what} in ${file} within ${timeoutMs} ms; it holds ${records.length} record(s):\n${records.slice(-10).join("\n")}\n--- rsyslog internal ---\n${tail(files["internal"] as string, 10)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const handle: RsyslogHandle = {
    dir,
    ports: ports as Record<RsyslogInput, number>,
    files: files as unknown as RsyslogFiles<RsyslogInput>,
    certs,
    configFile,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined;
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    async restart() {
      await signal("SIGTERM");
      await launch();
    },
    readRecords,
    readJson: (file) => readRecords(file).map((line) => JSON.parse(line) as RsyslogRecord),
    waitForLines: (file, count, timeoutMs = 10_000) =>
      waitUntil(file, (r) => (r.length >= count ? r : undefined), `expected ${count} record(s)`, timeoutMs),
    waitForMatch: (file, pattern, timeoutMs = 10_000) =>
      waitUntil(file, (r) => r.find((line) => pattern.test(line)), `no record matching ${pattern}`, timeoutMs),
    async dispose() {
      await signal("SIGKILL");
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle as unknown as RsyslogHandle<EnabledInputs<O>>;
}

/** A UDP port chosen free was taken by someone else before rsyslogd bound it: start again with other ports. */
class UdpPortClash extends Error {}
