// Input cannot stall log(): at most record.maxAttributes attributes are read (iterables lazily),
// names are bounded like values, and an empty event id is a programmer error.
import test, { type ExecutionContext } from "ava";
import { join } from "node:path";
import { AUDIT_LOGGER_NAME, ConfigError, createAuditLogService, LoggerFactory, parseAuditLine, type LoggerBinding } from "../src/index.js";
import { captureStatus, P, readLines, tempDir } from "./lib/helpers.js";
import { dedicatedService, type DedicatedService } from "./lib/service.js";

/** A dedicated-mode service with `|` between attributes. */
const service = (t: ExecutionContext, settings: Record<string, string>): Promise<DedicatedService> => dedicatedService(t, settings, { delimiter: '"|"' });

const pipe = { delimiter: "|", includeAttributeNames: true };

function* endless(state: { closed: boolean; pulled: number }): Generator<[string, number]> {
  try {
    for (let i = 0; ; i++) {
      state.pulled++;
      yield [`a${i}`, i];
    }
  } finally {
    state.closed = true;
  }
}

test("an endless generator returns, with the cut marker, and is closed", async (t) => {
  const { audit, log } = await service(t, { "record.maxAttributes": "3" });
  const state = { closed: false, pulled: 0 };
  audit.log("ev", endless(state));
  const lines = readLines(log);
  t.deepEqual(lines, ["ev|a0=0|a1=1|a2=2|slf4ts.cut=3+"]);
  t.deepEqual(parseAuditLine(lines[0] as string, pipe).attributes, [
    ["a0", "0"],
    ["a1", "1"],
    ["a2", "2"],
    ["slf4ts.cut", "3+"],
  ]);
  // 3 taken, then at most 3 more counted; the generator's finally ran.
  t.true(state.pulled <= 6);
  t.true(state.closed);
});

test("an endless generator returns with the default maximum (256), also through a filter", async (t) => {
  const { audit, log } = await service(t, {});
  let seen = -1;
  audit.addFilter((_id, pairs) => {
    seen = pairs.length;
    return true;
  });
  audit.log("ev", endless({ closed: false, pulled: 0 }));
  t.is(seen, 256, "the filter sees the attributes that are written");
  const parsed = parseAuditLine(readLines(log)[0] as string, pipe);
  t.is(parsed.attributes.length, 257);
  t.deepEqual(parsed.attributes[255], ["a255", "255"]);
  t.deepEqual(parsed.attributes[256], ["slf4ts.cut", "256+"]);
});

test("more than N attributes in an object, a Map, an array and a finite generator: the rest are counted exactly", async (t) => {
  const { audit, log } = await service(t, { "record.maxAttributes": "3" });
  const five = [["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]] as const;
  audit.log("obj", Object.fromEntries(five));
  audit.log("map", new Map(five));
  audit.log("arr", five);
  audit.log("gen", (function* () {
    yield* five;
  })());
  audit.log("three", { a: 1, b: 2, c: 3 });
  const lines = readLines(log);
  t.deepEqual(lines, [
    "obj|a=1|b=2|c=3|slf4ts.cut=2",
    "map|a=1|b=2|c=3|slf4ts.cut=2",
    "arr|a=1|b=2|c=3|slf4ts.cut=2",
    "gen|a=1|b=2|c=3|slf4ts.cut=2",
    "three|a=1|b=2|c=3",
  ]);
  for (const line of lines.slice(0, 4)) {
    t.deepEqual(parseAuditLine(line, pipe).attributes.at(-1), ["slf4ts.cut", "2"]);
  }
});

test("with names off the marker is still written slf4ts.cut=N and reads back as that value", async (t) => {
  const { audit, log } = await service(t, { "record.maxAttributes": "2", includeAttributeNames: "false" });
  audit.log("ev", new Map([["a", "x"], ["b", "y"], ["c", "z"]]));
  const line = readLines(log)[0] as string;
  t.is(line, "ev|x|y|slf4ts.cut=1");
  t.deepEqual(parseAuditLine(line, { delimiter: "|", includeAttributeNames: false }).attributes, [
    [undefined, "x"],
    [undefined, "y"],
    [undefined, "slf4ts.cut=1"],
  ]);
});

test("record.maxAttributes is validated like the other keys and is reloadable", async (t) => {
  captureStatus(t);
  const { audit, write, log, file } = await service(t, { "record.maxAttributes": "2" });
  audit.log("ev", { a: 1, b: 2, c: 3 });
  write({ "record.maxAttributes": "0" });
  const error = await t.throwsAsync(() => audit.reload(), { instanceOf: ConfigError });
  t.is(error?.problems[0]?.key, `${P}record.maxAttributes`);
  t.is(error?.problems[0]?.value, "0");
  t.is(error?.problems[0]?.line, 4);
  t.regex(error?.message ?? "", /record\.maxAttributes.*expected a whole number of attributes from 1 to 100000/s);
  t.true((error?.message ?? "").includes(file));
  write({ "record.maxAttributes": "many" });
  await t.throwsAsync(() => audit.reload(), { instanceOf: ConfigError });
  audit.log("ev", { a: 1, b: 2, c: 3 });
  write({ "record.maxAttributes": "3" });
  await audit.reload();
  audit.log("ev", { a: 1, b: 2, c: 3, d: 4 });
  t.deepEqual(readLines(log), ["ev|a=1|b=2|slf4ts.cut=1", "ev|a=1|b=2|slf4ts.cut=1", "ev|a=1|b=2|c=3|slf4ts.cut=1"]);
});

test("a 10-million-character name is cut like a long value: its attribute is left out whole and the marker counts it", async (t) => {
  const { audit, log } = await service(t, { "record.maxLength": "256" });
  const plain = "n".repeat(10_000_000);
  // Every character of this one needs an escape (\n), so N counts 2 per character.
  const escaped = "\n".repeat(10_000_000);
  audit.log("ev", [["ok", "1"], [plain, "v"]]);
  audit.log("ev", [["ok", "1"], [escaped, "v"], ["after", "2"]]);
  // A masked word at the very end of a long name changes the value (and so N) as it would for a short one.
  audit.log("ev", [["ok", "1"], [plain + "password", "hunter2"]]);
  const lines = readLines(log);
  t.is(lines.length, 3);
  // "|" + name + "=v" is removed.
  t.is(lines[0], `ev|ok=1...[truncated ${1 + 10_000_000 + 2} characters]`);
  t.is(lines[1], `ev|ok=1...[truncated ${1 + 20_000_000 + 2 + "|after=2".length} characters]`);
  t.is(lines[2], `ev|ok=1...[truncated ${1 + 10_000_008 + 1 + "****".length} characters]`);
  for (const line of lines) {
    t.true(line.length <= 256);
    t.deepEqual(parseAuditLine(line, pipe).attributes.at(-1)?.[0], "ok");
  }
});

test("an empty event id is a TypeError in dedicated, standard and disabled mode, like a non-string", async (t) => {
  const { audit, log } = await service(t, {});
  t.throws(() => audit.log(""), { instanceOf: TypeError, message: "audit event id must not be empty" });
  t.throws(() => audit.log("", { a: 1 }), { instanceOf: TypeError });
  audit.log("ev");
  t.deepEqual(readLines(log), ["ev"]);

  const messages: string[] = [];
  const binding: LoggerBinding = { name: "recording", getLogger: () => ({ isEnabled: () => true, log: (r) => {
    if (r.loggerName === AUDIT_LOGGER_NAME) messages.push(r.message);
  } }) };
  const previous = LoggerFactory.getBinding();
  LoggerFactory.setBinding(binding);
  t.teardown(() => LoggerFactory.setBinding(previous));
  const standard = createAuditLogService();
  await standard.configure({ properties: { [`${P}enabled`]: "true" }, watch: false });
  t.teardown(() => standard.shutdown());
  t.is(standard.stats().mode, "standard");
  t.throws(() => standard.log(""), { instanceOf: TypeError, message: "audit event id must not be empty" });
  standard.log("ev");
  t.deepEqual(messages, ["ev"]);

  const disabled = createAuditLogService();
  t.throws(() => disabled.log(""), { instanceOf: TypeError });
});

test("a generator is read once: the dedicated file and a file target both get its attributes, and an endless one ends for both", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({
    properties: {
      [`${P}enabled`]: "true",
      [`${P}file.location`]: join(dir, "audit.log"),
      [`${P}record.maxAttributes`]: "2",
      [`${P}target.json.type`]: "file",
      [`${P}target.json.path`]: join(dir, "audit.json"),
    },
    watch: false,
  });
  audit.log("gen", (function* () {
    yield ["a", "1"];
    yield ["b", "2"];
  })());
  audit.log("endless", endless({ closed: false, pulled: 0 }));
  // Attributes that cannot even be looked at still never make log() throw on this path.
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  t.notThrows(() => audit.log("revoked", revocable.proxy));
  await audit.flush();
  const lines = readLines(join(dir, "audit.log"));
  t.deepEqual(lines.slice(0, 2), ["gen, a=1, b=2", "endless, a0=0, a1=1, slf4ts.cut=2+"]);
  t.regex(lines[2] ?? "", /^revoked, slf4ts\.error=attributes could not be read: TypeError/);
  const json = readLines(join(dir, "audit.json")).map((l) => (JSON.parse(l) as { attributes: unknown }).attributes);
  t.deepEqual(json.slice(0, 2), [{ a: "1", b: "2" }, { a0: "0", a1: "1", "slf4ts.cut": "2+" }]);
  t.is(json.length, 3);
});
