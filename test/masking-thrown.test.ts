/**
 * What a getter or an iterator throws while `log()` reads the attributes is written into the
 * record (`[getter threw: …]`, `attributes iterator threw: …`). A secret inside what was thrown
 * must be masked there like anywhere else, on every path that reads the attributes: dedicated
 * mode alone, with named targets (the record builder collects a Proxy or an iterable first), with
 * a filter or a capture (they collect the attributes before the record is built), and standard
 * mode (a one-shot iterable is collected before the host's logging renders it). Before the fix,
 * every path but the first wrote the secret in clear.
 */
import test, { type ExecutionContext } from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import log4js from "log4js";
import { captureAuditRecords, createAuditLogService, type AuditAttributes } from "../src/index.js";
import { P, readLines, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

const SECRET = "hunter2";
/** Thrown by the getters and the iterators below: an object with a masked name inside. */
const thrown = (): unknown => ({ password: SECRET, user: "ann" });

/** A Proxy whose `token` getter throws, and a generator that throws after one pair. */
const inputs: ReadonlyArray<[string, () => AuditAttributes, string]> = [
  [
    "a Proxy whose getter throws",
    () =>
      new Proxy({ login: "ann", token: 1 } as Record<string, unknown>, {
        get(target, key, receiver) {
          if (key === "token") throw thrown();
          return Reflect.get(target, key, receiver) as unknown;
        },
      }),
    'login=ann, token=[getter threw: {"password":"****"\\,"user":"ann"}]',
  ],
  [
    "a generator that throws",
    () =>
      (function* (): Generator<[string, string]> {
        yield ["login", "ann"];
        throw thrown();
      })(),
    'login=ann, slf4ts.error=attributes iterator threw: {"password":"****"\\,"user":"ann"}',
  ],
];

type Path = "alone" | "targets" | "filter" | "capture";

/** Dedicated mode on `path`; logs `input` once and returns every text the record reached. */
async function logOnce(t: ExecutionContext, path: Path, input: AuditAttributes): Promise<{ file: string; elsewhere: string[] }> {
  const dir = tempDir(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      [P + "mask.names"]: "password",
      ...(path === "targets" ? { [P + "target.json.type"]: "file", [P + "target.json.path"]: join(dir, "audit.json") } : {}),
    },
    watch: false,
  });
  const elsewhere: string[] = [];
  if (path === "filter") {
    audit.addFilter((_eventId, pairs) => {
      elsewhere.push(JSON.stringify(pairs));
      return true;
    });
  }
  const capture = path === "capture" ? captureAuditRecords(audit) : undefined;
  audit.log("ox.read", input);
  await audit.flush();
  capture?.stop();
  if (capture !== undefined) elsewhere.push(...capture.records.map((r) => JSON.stringify(r)));
  if (path === "targets") elsewhere.push(readFileSync(join(dir, "audit.json"), "utf8"));
  const lines = readLines(join(dir, "audit.log"));
  t.is(lines.length, 1);
  return { file: lines[0] as string, elsewhere };
}

for (const [what, make, expected] of inputs) {
  for (const path of ["alone", "targets", "filter", "capture"] as const) {
    test(`${what}: the secret inside what it threw is masked in dedicated mode (${path})`, async (t) => {
      const { file, elsewhere } = await logOnce(t, path, make());
      t.true(file.endsWith(`ox.read, ${expected}`), file);
      if (path !== "alone") t.true(elsewhere.length > 0, "the filter, the capture or the target saw the record");
      for (const text of [file, ...elsewhere]) {
        t.false(text.includes(SECRET), text);
        t.true(text.includes("****"), text);
      }
    });
  }
}

/**
 * Deeper: what was thrown while describing what was thrown, a toJSON that throws, an Error whose
 * message is an object, an object as a Map key; each holds the secret one level further down.
 */
const nested = (): AuditAttributes => {
  const secret = (): object => ({ password: SECRET });
  const error = new Error("x");
  Object.defineProperty(error, "message", { value: secret() });
  return {
    thrownThrows: {
      get inner(): never {
        throw {
          get x(): never {
            throw secret();
          },
        };
      },
    },
    thrownToJson: {
      get inner(): never {
        throw {
          toJSON(): never {
            throw secret();
          },
        };
      },
    },
    toJson: {
      toJSON(): never {
        throw secret();
      },
    },
    error,
    mapKey: new Map([[secret(), 1]]),
  };
};

test("secrets nested deeper in what was thrown, in an Error's message and in a Map's object key are masked on every path alike", async (t) => {
  const files: string[] = [];
  for (const path of ["alone", "targets", "filter", "capture"] as const) {
    const { file, elsewhere } = await logOnce(t, path, nested());
    for (const text of [file, ...elsewhere]) t.false(text.includes(SECRET), `${path}: ${text}`);
    // Every one of the five attributes holds a masked password.
    const attributes = file.slice(file.indexOf("ox.read, ") + "ox.read, ".length).split(/(?<!\\), /);
    t.is(attributes.length, 5, file);
    for (const attribute of attributes) t.regex(attribute, /password\\*"*:\\*"\*\*\*\*/, `${path}: ${attribute}`);
    files.push(file.slice(file.indexOf("ox.read")));
  }
  t.deepEqual(new Set(files).size, 1, files.join("\n"));
});

// log4js is process-global: one host configuration at a time.
test.serial("standard mode: the secret inside what a getter or an iterator threw is masked in the host's log", async (t) => {
  const dir = tempDir(t);
  const hostLog = join(dir, "host.log");
  log4js.configure({
    appenders: { file: { type: "fileSync", filename: hostLog, layout: { type: "pattern", pattern: "%m" } } },
    categories: { default: { appenders: ["file"], level: "info" } },
  });
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ properties: { [P + "enabled"]: "true", [P + "mask.names"]: "password" }, watch: false });
  t.is(audit.stats().mode, "standard");
  for (const [, make] of inputs) audit.log("ox.read", make());
  t.true(await waitFor(() => readLines(hostLog).filter((l) => l.startsWith("ox.read")).length === 2));
  const lines = readLines(hostLog).filter((l) => l.startsWith("ox.read"));
  t.deepEqual(
    lines,
    inputs.map(([, , expected]) => `ox.read, ${expected}`),
  );
});
