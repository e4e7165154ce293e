/**
 * A host process for console target tests: configures an audit service from the properties file
 * in argv[2], logs argv[3] records `ox.login seq=<i> pad=<argv[6] characters>`, waits for the
 * records to be written (flush), shuts down, and writes what it saw as JSON to the file argv[4]:
 * whether `log()` ever threw, the target stats, the status codes reported, and the flags and kind
 * of its stdout and stderr. argv[5] is the mode:
 * - `plain`: just the records;
 * - `mix`: a `console.log("app <i>")` line after each record (the host's own output);
 * - `wait`: first waits for a line on stdin (the parent closes the reader of our stdout before);
 * - `wait,mix`: both;
 * - `breaks`: each record also has `note` = "a\nb\r\nc" (line breaks in a value);
 * - `exit`: `process.exit(0)` right after logging (the result is written first, then).
 * When the records are logged (before they are flushed), it creates `<argv[4]>.logged`.
 */
import { fstatSync, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createAuditLogService, StatusChannel } from "../../src/index.js";

const [propertiesFile, countText, resultFile, mode, padText] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const codes: string[] = [];
StatusChannel.subscribe((event) => codes.push(event.code));
const audit = createAuditLogService();
await audit.configure({ propertiesFile, watch: false });
if (mode.includes("wait")) {
  process.stdin.resume();
  await once(process.stdin, "data");
  process.stdin.pause();
}

/** The open flags of a descriptor (octal text in /proc), and whether it is a FIFO or a socket. */
function describe(fd: number): { flags: string; kind: string } {
  const flags = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1] ?? "";
  const stat = fstatSync(fd);
  return { flags, kind: stat.isFIFO() ? "fifo" : stat.isSocket() ? "socket" : stat.isFile() ? "file" : "other" };
}

const pad = "x".repeat(Number(padText ?? 0));
let threw: string | undefined;
const started = Date.now();
let slowest = 0;
for (let i = 0; i < Number(countText); i++) {
  const before = Date.now();
  try {
    audit.log("ox.login", mode.includes("breaks") ? { seq: i, note: "a\nb\r\nc" } : pad === "" ? { seq: i } : { seq: i, pad });
  } catch (error) {
    threw ??= String(error);
  }
  slowest = Math.max(slowest, Date.now() - before);
  if (mode.includes("mix")) console.log(`app ${i}`);
}
const loggedMs = Date.now() - started;
// The loop is over: a reader that waits for this file knows the pipe is as full as it gets.
writeFileSync(`${resultFile}.logged`, "");
const fds = { stdout: describe(1), stderr: describe(2) };
if (mode === "exit") {
  // No flush, no shutdown: what waits gets only the exit hook's last synchronous attempt.
  writeFileSync(resultFile, JSON.stringify({ threw, stats: audit.stats().targets, codes, fds, loggedMs, slowest }));
  process.exit(0);
}
await audit.flush();
const stats = audit.stats().targets;
await audit.shutdown();
writeFileSync(resultFile, JSON.stringify({ threw, stats, codes, fds, loggedMs, slowest }));
