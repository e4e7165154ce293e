// Patterns cannot break the record: %replace/%ereplace regexes that can backtrack
// catastrophically are refused when the configuration is read, and no conversion can make one
// record two lines.
import test from "ava";
import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compilePatternLayout, PatternSyntaxError, type LayoutEvent, type PatternLayoutOptions } from "../src/layout/pattern.js";
import { ConfigError, createAuditLogService, MDC, parseAuditLine } from "../src/index.js";
import { resolveConfig } from "../src/config/schema.js";
import { captureStatus, P, readLines, tempDir } from "./lib/helpers.js";

const OPTIONS: PatternLayoutOptions = { createDateFormatter: () => () => "2016-06-10", oneLine: true };
const EVENT: LayoutEvent = { timestamp: 0, level: 20 as LayoutEvent["level"], loggerName: "L", message: "ox.login, v=aQb", mdc: undefined };

function render(pattern: string, event: Partial<LayoutEvent> = {}, options: PatternLayoutOptions = OPTIONS): string {
  return compilePatternLayout(pattern, options)({ ...EVENT, ...event });
}

function refusal(regex: string): string {
  const error = (() => {
    try {
      compilePatternLayout(`%replace(%msg){'${regex}', 'z'}%n`, OPTIONS);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof PatternSyntaxError)) throw new Error(`${regex} was accepted`);
  return error.message;
}

// The classic evil regexes. For comparison, Java 17's java.util.regex (what logback's %replace
// runs) on "x" * n + "!" / "a" * n + "!" (a throw-away program, OpenJDK 17.0.15): (x+x+)+y takes
// 19 ms for n=28 (it memoizes some loops) but 6 s for n=1000; (.*a){20}b does not end within
// 20 s for n=30. V8 (Node 20) takes 5.4 s for (x+x+)+y at n=26 and doubles with every character.
const EVIL: ReadonlyArray<readonly [string, RegExp]> = [
  ["(x+x+)+y", /^nested quantifier: "\(x\+x\+\)\+" repeats a part .* at position 16$/],
  ["(a+)+", /^nested quantifier: "\(a\+\)\+" /],
  ["(a|a)*", /^alternatives that can match the same text, repeated: "\(a\|a\)\*" can take exponential time/],
  ["(a|aa)+", /^alternatives that can match the same text, repeated: "\(a\|aa\)\+"/],
  ["(.*a){20}", /^nested quantifier: "\(\.\*a\)\{20\}"/],
  ["(\\w+\\s?)+", /^nested quantifier/],
  ["(a?)*", /^nested quantifier/],
  ["(a|)+", /^alternatives that can match the same text/],
  ["x(?:y|(a{1,2})+)z", /^nested quantifier: "\(a\{1,2\}\)\+"/],
  ["(?=(a+)+b)", /^nested quantifier/],
  ["(?>(x+x+)+y)", /^nested quantifier/],
];

for (const [regex, message] of EVIL) {
  test(`catastrophic backtracking is refused: ${regex}`, (t) => {
    t.regex(refusal(regex), message);
  });
}

test("back-references are refused (matching with them has no time bound)", (t) => {
  t.regex(refusal("(\\w)\\1"), /^back-reference "\\1" refused: matching with back-references can take exponential time in the regex of "%replace" at position 20$/);
  t.regex(refusal("(?<x>\\w)\\k<x>"), /^back-reference "\\k<x>" refused/);
});

test("common benign regexes are still accepted and work", (t) => {
  t.is(render("%replace(%msg){'\\d{4}-\\d{2}', 'DATE'}", { message: "on 2016-06 at" }), "on DATE at");
  t.is(render("%replace(%msg){'[^ ]+', 'w'}", { message: "a bb ccc" }), "w w w");
  t.is(render("%replace(%msg){'password=[^,]*', 'password=***'}", { message: "login=a, password=x y, ip=1" }), "login=a, password=***, ip=1");
  t.is(render("%replace(%msg){'(\\d{1,3}\\.){3}\\d{1,3}', 'IP'}", { message: "from 192.168.1.20 now" }), "from IP now");
  t.is(render("%replace(%msg){'(?:foo|bar)+', 'X'}", { message: "foobarfoo!" }), "X!");
  t.is(render("%replace(%msg){'\\s*,\\s*', ';'}", { message: "a , b,c" }), "a;b;c");
  t.is(render("%replace(%msg){'(?i)(secret|token)=\\S+', '$1=***'}", { message: "TOKEN=abc x" }), "TOKEN=*** x");
  // The rewrite the refusal suggests: a possessive inner quantifier or an atomic group.
  t.is(render("%replace(%msg){'(\\d++\\.)+', 'N.'}", { message: "1.22.333.x" }), "N.x");
  // (An atomic group with a quantifier used to repeat only its last part: "N.N.N.x".)
  t.is(render("%replace(%msg){'(?>\\d+\\.)+', 'N.'}", { message: "1.22.333.x" }), "N.x");
  t.is(render("%replace(%msg){'(\\d++\\.)+', '[$1]'}", { message: "1.22.333.x" }), "[333.]x");
  t.is(render("%replace(%msg){'(.|\\n)*', 'all'}", { message: "a\nb" }), "allall"); // as Java: the empty match at the end too
});

test("after the layout, no conversion can add a line break: everything but the final separator is escaped", (t) => {
  t.is(render("%ereplace(%msg){'Q', '%n'}%n"), "ox.login, v=a\\nb\n");
  t.is(render("%ereplace(%msg){'Q', '\\r\\n'}%n"), "ox.login, v=a\\nb\n");
  // A replacement holding NEL, LS, PS or ESC, a %n in the middle, %lmdc's own line feeds.
  t.is(render("%replace(%msg){'Q', '\u0085\u2028\u2029\u001b'}%n"), "ox.login, v=a\\u0085\\u2028\\u2029\\u001Bb\n");
  t.is(render("%d%n%msg%n"), "2016-06-10\\nox.login, v=aQb\n");
  t.is(render("%msg%lmdc%n", { mdc: new Map([["k", "v"]]) }), "ox.login, v=aQb k=v\\n\n");
  // A literal line break at the end is the separator; a pattern without one gets none.
  t.is(render("%msg\r\n"), "ox.login, v=aQb\r\n");
  t.is(render("%ereplace(%msg){'Q', '%n'}"), "ox.login, v=a\\nb");
  // A %n with a width is not the separator: it is escaped with the rest.
  t.is(render("%msg%2n"), "ox.login, v=aQb \\n");
  // Without the option (the facade's own patterns), a layout renders as logback does.
  t.is(render("%ereplace(%msg){'Q', '%n'}%n", {}, { createDateFormatter: OPTIONS.createDateFormatter }), "ox.login, v=a\nb\n");
});

async function service(t: import("ava").ExecutionContext, pattern: string) {
  const dir = tempDir(t);
  const file = join(dir, "slf4j-auditlog.properties");
  const write = (p: string): void => writeFileSync(file, [`${P}enabled=true`, `${P}file.location=logs/audit.log`, `${P}file.pattern=${p}`, ""].join("\n"));
  write(pattern);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  return { audit, file, write, log: join(dir, "logs", "audit.log") };
}

test("file.pattern with an evil %replace regex is a ConfigError naming the key, the value, the line and why; the last good one stays", async (t) => {
  captureStatus(t);
  const { audit, write, log, file } = await service(t, "[%level] %msg%n");
  await audit.configure({ propertiesFile: file, watch: false });
  const evil = "%replace(%msg){'(x+x+)+y', 'z'}%n";
  write(evil);
  const error = await t.throwsAsync(() => audit.reload(), { instanceOf: ConfigError });
  t.is(error?.problems.length, 1);
  t.like(error?.problems[0], { key: `${P}file.pattern`, value: evil, line: 3 });
  t.regex(error?.problems[0]?.expected ?? "", /^expected a logback pattern: nested quantifier: "\(x\+x\+\)\+" repeats a part .*catastrophic backtracking.* in the regex of "%replace" at position 16$/);
  // The previous pattern is still in force, and log() of the attack string returns at once.
  audit.log("x".repeat(28));
  t.deepEqual(readLines(log), [`[INFO] ${"x".repeat(28)}`]);
});

test("dedicated mode: %ereplace(...){'Q','%n'} with a value containing Q writes one line that reads back", async (t) => {
  const { audit, file, log } = await service(t, "%d{yyyy} %ereplace(%msg){'Q', '%n'}%lmdc%n");
  await audit.configure({ propertiesFile: file, watch: false });
  MDC.run({ session: "s1" }, () => audit.log("ox.login", { v: "aQb", w: "c" }));
  audit.log("ox.logout");
  const lines = readLines(log);
  t.is(lines.length, 2);
  t.regex(lines[0] as string, /^\d{4} ox\.login, v=a\\nb, w=c session=s1\\n$/);
  const message = (lines[0] as string).slice(5, -" session=s1\\n".length);
  t.deepEqual(parseAuditLine(message, { delimiter: ", ", includeAttributeNames: true }).attributes, [
    ["v", "a\nb"],
    ["w", "c"],
  ]);
  t.regex(lines[1] as string, /^\d{4} ox\.logout$/);
});

test("a pattern with a line break before its end is accepted with a warning that says it will be escaped", (t) => {
  const warningsFor = (pattern: string): string[] => {
    const result = resolveConfig(
      [
        { key: `${P}enabled`, value: "true", line: 1 },
        { key: `${P}file.location`, value: "/nonexistent/audit.log", line: 2 },
        { key: `${P}file.pattern`, value: pattern, line: 3 },
      ],
      "/",
    );
    t.true(result.ok, pattern);
    return result.warnings.map((w) => `line ${w.line}: ${w.key} = ${w.value}: ${w.expected}`);
  };
  t.deepEqual(warningsFor("%d%n%msg%n"), [`line 3: ${P}file.pattern = %d%n%msg%n: has a line break before its end (%n); it is written escaped (\\n) so that each record stays one line`]);
  t.regex(warningsFor("%msg%lmdc%n")[0] ?? "", /\(%lmdc\)/);
  t.regex(warningsFor("%msg\nx%n")[0] ?? "", /\(a line break in the text\)/);
  t.regex(warningsFor("%replace(%msg%n){'a', 'b'}%n")[0] ?? "", /\(%n\)/);
  t.deepEqual(warningsFor("%d %msg%n"), []);
});

test("property: whatever the message, the MDC and the pattern's conversions, a rendered line has no unsafe character before its final separator", (t) => {
  const hostile = fc.constantFrom("\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\u001b[2J", "\u009b", "\u202e", "\ud800", "\t", "Q", "x");
  const text = fc.array(fc.oneof(hostile, fc.string({ unit: "binary", maxLength: 5 })), { maxLength: 8 }).map((p) => p.join(""));
  const patterns = fc.constantFrom(
    "%ereplace(%msg){'Q', '%n'}%n",
    "%ereplace(%msg){'x', '\\r\\n'}%n",
    "%replace(%msg){'Q', '\u2028'}%n",
    "%d%n%msg%lmdc%n",
    "%msg %X{k} %mdc%n",
    "%-20(%msg)%n",
    "%.-3(%msg)%n",
    "%msg%2n",
    "%msg\r\n",
    "%msg",
  );
  fc.assert(
    fc.property(patterns, text, text, text, (pattern, message, key, value) => {
      const line = render(pattern, { message, mdc: new Map([[key, value]]) });
      const separator = /(?:%n|\r\n)$/.test(pattern) && !pattern.endsWith("%2n") ? (pattern.endsWith("\r\n") ? "\r\n" : "\n") : "";
      t.true(line.endsWith(separator));
      const body = line.slice(0, line.length - separator.length);
      return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(body) && !/[\ud800-\udfff]/u.test(body);
    }),
    { numRuns: 2000 },
  );
});
