/**
 * A real syslog-ng for tests: one `syslog-ng -F` child per call, with its own configuration,
 * persist file, pid file and control socket in a scratch folder, listening on loopback ports
 * chosen free by Node.
 *
 * Debian's syslog-ng-core conflicts with rsyslog (both provide `system-log-daemon`), so it is not
 * installed: `.ci/install-syslog-ng` (run by `.ci/run`) unpacks its .deb into
 * `/opt/slf4ts-ci/syslog-ng` (or `SLF4TS_SYSLOG_NG_ROOT`) and installs the libraries it needs.
 * The binary's RUNPATH is `/usr/lib/syslog-ng`, so it is started with `LD_LIBRARY_PATH` and
 * `--module-path` pointing into that folder. The configuration must not `@include "scl.conf"`
 * (the include path is the system's); `syslog()`, `network()`, `file()` and `format-json` are
 * built-in drivers and modules.
 *
 * Usage:
 * ```ts
 * const ng = await startSyslogNg({ ports: 2, config: ([a, b]) => `@version: 3.38\nsource s { syslog(ip("127.0.0.1") port(${a})); }; …` });
 * t.teardown(() => ng.dispose());
 * ```
 */
import { freeTcpPort } from "./helpers.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where `.ci/install-syslog-ng` unpacks syslog-ng-core by default. */
export const SYSLOG_NG_DEFAULT_ROOT = "/opt/slf4ts-ci/syslog-ng";

/** The unpacked syslog-ng, or why it cannot be run. */
export interface SyslogNgAvailability {
  readonly available: boolean;
  /** The folder syslog-ng-core was unpacked into. */
  readonly root: string;
  /** `<root>/usr/lib/syslog-ng/<version>`, when found. */
  readonly moduleDir?: string;
  /** The first line of `syslog-ng --version`, when it runs. */
  readonly version?: string;
  /** Why not, when not available. */
  readonly reason?: string;
}

let availability: SyslogNgAvailability | undefined;

/**
 * Finds the unpacked syslog-ng (`SLF4TS_SYSLOG_NG_ROOT`, default {@link SYSLOG_NG_DEFAULT_ROOT})
 * and checks that it starts (`--version`). Cached for the process.
 *
 * @example
 * ```ts
 * const ng = syslogNgAvailability();
 * if (!ng.available) throw new Error(ng.reason);
 * ```
 */
export function syslogNgAvailability(): SyslogNgAvailability {
  if (availability !== undefined) return availability;
  const root = process.env["SLF4TS_SYSLOG_NG_ROOT"] ?? SYSLOG_NG_DEFAULT_ROOT;
  const binary = join(root, "usr/sbin/syslog-ng");
  const libDir = join(root, "usr/lib/syslog-ng");
  const fix = "run `bash .ci/install-syslog-ng` as root (it unpacks Debian's syslog-ng-core there)";
  if (!existsSync(binary)) return (availability = { available: false, root, reason: `no syslog-ng at ${binary}: ${fix}` });
  const versions = existsSync(libDir) ? readdirSync(libDir).filter((d) => /^\d+\.\d+$/.test(d)) : [];
  if (versions.length === 0) return (availability = { available: false, root, reason: `no module folder ${libDir}/<version>: ${fix}` });
  const moduleDir = join(libDir, versions.sort().at(-1) ?? "");
  const check = spawnSync(binary, ["--version"], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: libDir } });
  if (check.status !== 0) {
    return (availability = { available: false, root, moduleDir, reason: `${binary} --version failed (exit ${check.status}): ${check.stderr.trim()} (${fix})` });
  }
  return (availability = { available: true, root, moduleDir, version: check.stdout.split("\n")[0] ?? "" });
}

/** Options of {@link startSyslogNg}. */
export interface SyslogNgOptions {
  /** How many loopback TCP ports to pick for the configuration. */
  readonly ports: number;
  /** The configuration, given the ports (in the order picked) and the scratch folder. */
  readonly config: (ports: readonly number[], dir: string) => string;
  /** Scratch folder; a fresh temporary one (removed by `dispose()`) when absent. */
  readonly dir?: string;
  /** How long to wait for every port to be accepted; default 20000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running syslog-ng started by {@link startSyslogNg}. */
export interface SyslogNgHandle {
  readonly dir: string;
  readonly ports: readonly number[];
  /** The configuration file passed to syslog-ng. */
  readonly configFile: string;
  /** syslog-ng's own messages (`-e`: its internal log on stderr). */
  readonly stderrFile: string;
  /** SIGTERM (syslog-ng writes what it has and exits), SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Stops syslog-ng and removes the scratch folder when the harness made it. For `t.teardown`. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Starts syslog-ng in the foreground with the configuration `options.config` makes, and waits
 * until it accepts connections on every port (syslog-ng says `Accepting connections` per
 * listener). A port taken between picking and binding is retried with new ports (3 attempts); a
 * configuration syslog-ng rejects, or a start that never completes, rejects with its output.
 *
 * @example
 * ```ts
 * const ng = await startSyslogNg({ ports: 1, config: ([p], dir) => `@version: 3.38\nsource s { network(ip("127.0.0.1") port(${p})); };\ndestination d { file("${dir}/out.log"); };\nlog { source(s); destination(d); };\n` });
 * ```
 */
export async function startSyslogNg(options: SyslogNgOptions): Promise<SyslogNgHandle> {
  const found = syslogNgAvailability();
  if (!found.available || found.moduleDir === undefined) throw new Error(`cannot start syslog-ng: ${found.reason}`);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "slf4ts-syslog-ng-"));
  const configFile = join(dir, "syslog-ng.conf");
  const stderrFile = join(dir, "syslog-ng.stderr");
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of running) c.kill("SIGKILL");
    });
  }
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < options.ports; i++) ports.push(await freeTcpPort());
    writeFileSync(configFile, options.config(ports, dir));
    writeFileSync(stderrFile, "");
    const errFd = openSync(stderrFile, "a");
    const binary = join(found.root, "usr/sbin/syslog-ng");
    const args = [
      "-F", "-e", "--no-caps", "-f", configFile, `--module-path=${found.moduleDir}`,
      `--persist-file=${join(dir, "syslog-ng.persist")}`, `--pidfile=${join(dir, "syslog-ng.pid")}`, `--control=${join(dir, "syslog-ng.ctl")}`,
    ];
    const env = { ...process.env, LD_LIBRARY_PATH: join(found.root, "usr/lib/syslog-ng") };
    const pdeath = spawnSync("setpriv", ["--help"], { encoding: "utf8" }).stdout?.includes("--pdeathsig") ?? false;
    const child = pdeath
      ? spawn("setpriv", ["--pdeathsig", "KILL", "--", binary, ...args], { stdio: ["ignore", errFd, errFd], env })
      : spawn(binary, args, { stdio: ["ignore", errFd, errFd], env });
    closeSync(errFd);
    running.add(child);
    let exitInfo: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        exitInfo = `exit code ${code}, signal ${signal}`;
        running.delete(child);
        resolve();
      });
      child.once("error", (e) => {
        exitInfo = `spawn error ${e.message}`;
        running.delete(child);
        resolve();
      });
    });
    const stop = async (): Promise<void> => {
      if (exitInfo !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    };
    const deadline = Date.now() + timeoutMs;
    let clash = false;
    for (;;) {
      const log = readFileSync(stderrFile, "utf8");
      if (ports.every((p) => log.includes(`127.0.0.1:${p})'`)) && log.includes("syslog-ng starting up")) {
        return {
          dir,
          ports,
          configFile,
          stderrFile,
          stop,
          async dispose() {
            await stop();
            if (ownDir) rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      if (/Address already in use/.test(log)) clash = true;
      if (exitInfo !== undefined || clash || Date.now() > deadline) {
        await stop();
        if (clash && attempt < 3) break;
        if (ownDir) rmSync(dir, { recursive: true, force: true });
        throw new Error(`syslog-ng did not start (${exitInfo ?? "timeout"}):\n${log}\n--- config ---\n${readFileSync(configFile, "utf8")}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
