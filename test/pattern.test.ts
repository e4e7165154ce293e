import test from "ava";
import fc from "fast-check";
import { Level } from "../src/facade/level.js";
import {
  compilePatternLayout,
  PATTERN_WORDS,
  PatternSyntaxError,
  type LayoutEvent,
  type PatternLayoutOptions,
} from "../src/layout/pattern.js";

const AUDIT_LOGGER = "com.openexchange.log.audit.AuditLogService"; // 42 characters
const TIME = Date.UTC(2016, 5, 10, 10, 31, 10, 5);

const EVENT: LayoutEvent = {
  timestamp: TIME,
  level: Level.INFO,
  loggerName: AUDIT_LOGGER,
  message: "ox.login, login=thorben, ip=::1",
  mdc: undefined,
};

type DateCall = readonly [string, string | undefined, string | undefined];

/** A deterministic date formatter factory that records how it is called. */
function recordingDates(): { calls: DateCall[]; formatted: number[]; options: PatternLayoutOptions } {
  const calls: DateCall[] = [];
  const formatted: number[] = [];
  return {
    calls,
    formatted,
    options: {
      createDateFormatter: (pattern, timeZone, locale) => {
        calls.push([pattern, timeZone, locale]);
        return (epochMillis) => {
          formatted.push(epochMillis);
          return `<${pattern}>${new Date(epochMillis).toISOString()}`;
        };
      },
      startTime: TIME - 1234,
      threadName: "Slf4jAuditLogService",
    },
  };
}

const OPTIONS = recordingDates().options;

function render(pattern: string, event: Partial<LayoutEvent> = {}, options: PatternLayoutOptions = OPTIONS): string {
  return compilePatternLayout(pattern, options)({ ...EVENT, ...event });
}

function mdc(...entries: [string, string][]): ReadonlyMap<string, string> {
  return new Map(entries);
}

function syntaxError(pattern: string): PatternSyntaxError {
  try {
    compilePatternLayout(pattern, OPTIONS);
  } catch (error) {
    if (error instanceof PatternSyntaxError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(pattern)}`);
}

// --- words -----------------------------------------------------------------------------------

test("%sanitisedMessage passes the message through sanitizeText", (t) => {
  t.is(render("%sanitisedMessage", { message: "a\u001b[31mred\u001b[0m tail\n" }), "ared tail\\n");
  t.is(render("%sanitisedMessage%n"), "ox.login, login=thorben, ip=::1\n");
});

test("%m, %msg and %message print the message as is", (t) => {
  for (const word of ["m", "msg", "message"]) {
    t.is(render(`[%${word}]`, { message: "a\nb\u001b" }), "[a\nb\u001b]");
  }
});

test("%n is a line feed", (t) => {
  t.is(render("a%n b%n"), "a\n b\n");
  // A word ends at the first non-identifier character: "%nb" would be the word "nb".
  t.is(render("a%n\\_b"), "a\nb");
});

test("%p, %le and %level print every level name", (t) => {
  const expected: [Level, string][] = [
    [Level.TRACE, "TRACE"],
    [Level.DEBUG, "DEBUG"],
    [Level.INFO, "INFO"],
    [Level.WARN, "WARN"],
    [Level.ERROR, "ERROR"],
  ];
  for (const word of ["p", "le", "level"]) {
    for (const [level, name] of expected) {
      t.is(render(`%${word}`, { level }), name);
    }
  }
});

test("%t and %thread print the configured thread name, main by default", (t) => {
  t.is(render("%t|%thread"), "Slf4jAuditLogService|Slf4jAuditLogService");
  t.is(render("%t", {}, { createDateFormatter: OPTIONS.createDateFormatter }), "main");
});

test("%r and %relative print milliseconds since the start time", (t) => {
  t.is(render("%r|%relative"), "1234|1234");
  const before = Date.now();
  const layout = compilePatternLayout("%r", { createDateFormatter: OPTIONS.createDateFormatter });
  const after = Date.now();
  const relative = Number(layout({ ...EVENT, timestamp: after + 5000 }));
  t.true(relative >= 5000 && relative <= 5000 + (after - before));
});

test("%c, %lo and %logger print the full logger name without an option", (t) => {
  t.is(render("%c|%lo|%logger"), `${AUDIT_LOGGER}|${AUDIT_LOGGER}|${AUDIT_LOGGER}`);
  t.is(render("%logger{}"), AUDIT_LOGGER);
});

test("%logger{n} abbreviates like logback's TargetLengthBasedClassNameAbbreviator", (t) => {
  const golden: [string, string][] = [
    ["0", "AuditLogService"],
    ["1", "c.o.l.a.AuditLogService"],
    ["5", "c.o.l.a.AuditLogService"],
    ["10", "c.o.l.a.AuditLogService"],
    ["20", "c.o.l.a.AuditLogService"],
    ["25", "c.o.l.a.AuditLogService"],
    ["30", "c.o.log.audit.AuditLogService"],
    ["36", "c.o.log.audit.AuditLogService"],
    ["40", "c.openexchange.log.audit.AuditLogService"],
    ["41", "c.openexchange.log.audit.AuditLogService"],
    ["42", AUDIT_LOGGER],
    ["100", AUDIT_LOGGER],
    ["+20", "c.o.l.a.AuditLogService"],
  ];
  for (const [option, expected] of golden) {
    t.is(render(`%logger{${option}}`), expected, `{${option}}`);
    t.is(render(`%c{${option}}`), expected, `%c{${option}}`);
  }
  t.is(render("%logger{5}", { loggerName: "Slf4jAuditLogger" }), "Slf4jAuditLogger");
  t.is(render("%logger{0}", { loggerName: "Slf4jAuditLogger" }), "Slf4jAuditLogger");
  t.is(render("%logger{3}", { loggerName: "a..b.Name" }), "a..b.Name");
  t.is(render("%logger{0}", { loggerName: "trailing." }), "");
});

test("%logger{n} looks at 16 dots at most, like logback 1.2", (t) => {
  const name = "a1.b1.c1.d1.e1.f1.g1.h1.i1.j1.k1.l1.m1.n1.o1.p1.q1.r1.Last";
  t.is(render("%logger{1}", { loggerName: name }), "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q1.r1.Last");
});

test("%logger caches the last name but follows changes", (t) => {
  const layout = compilePatternLayout("%logger{10}", OPTIONS);
  t.is(layout(EVENT), "c.o.l.a.AuditLogService");
  t.is(layout({ ...EVENT, loggerName: "org.example.Thing" }), "o.e.Thing");
  t.is(layout(EVENT), "c.o.l.a.AuditLogService");
});

test("%X and %mdc print one MDC value, or the default after :-", (t) => {
  const values = mdc(["login", "thorben"], ["ip", "::1"]);
  t.is(render("%X{login}|%mdc{ip}", { mdc: values }), "thorben|::1");
  t.is(render("[%X{missing}]|%X{missing:-none}|%mdc{ip:-none}", { mdc: values }), "[]|none|::1");
  t.is(render("[%X{login}]|%X{login:-anonymous}", { mdc: undefined }), "[]|anonymous");
  // The option is trimmed before the split, so the key here is "login " (as in logback).
  t.is(render("%X{ login :- x y }", { mdc: mdc(["login", "a"]) }), " x y");
  t.is(render("%X{login:- x y }", { mdc: mdc(["login", "a"]) }), "a");
  t.is(render("%X{'key:-with, comma'}", { mdc: undefined }), "with, comma");
});

test("%X and %mdc without a key print all entries in insertion order", (t) => {
  t.is(render("%X", { mdc: mdc(["b", "2"], ["a", "1"], ["c", ""]) }), "b=2, a=1, c=");
  t.is(render("[%mdc{}]", { mdc: mdc(["k", "v"]) }), "[k=v]");
  t.is(render("[%X]", { mdc: new Map() }), "[]");
  t.is(render("[%X]", { mdc: undefined }), "[]");
});

test("%X and %mdc sanitise keys, values and defaults", (t) => {
  const values = mdc(["user", "eve\u001b[31m\nINFO forged"], ["k\r", "v\u202e"]);
  t.is(render("%X{user}", { mdc: values }), "eve\\nINFO forged");
  t.is(render("%X", { mdc: values }), "user=eve\\nINFO forged, k\\r=v\\u202E");
  t.is(render("%X{none:-a\tb}", { mdc: values }), "a\\tb");
});

test("%lmdc prints sorted entries on their own lines, without __threadId", (t) => {
  const values = mdc(["session", "abc"], ["__threadId", "42"], ["Context", "1"], ["app", "x\r\n\ty"]);
  t.is(render("%lmdc", { mdc: values }), " Context=1\n app=x y\n session=abc\n");
  t.is(render("%lmdc", { mdc: mdc(["a\u0000\u007fb", "\n"]) }), " a b= \n");
  t.is(render("[%lmdc]", { mdc: mdc(["__threadId", "1"]) }), "[]");
  t.is(render("[%lmdc]", { mdc: new Map() }), "[]");
  t.is(render("[%lmdc]", { mdc: undefined }), "[]");
});

test("%lmdc{key} prints one value with control runs replaced by a space", (t) => {
  t.is(render("%lmdc{app}", { mdc: mdc(["app", "x\r\n\ty\u001bz"]) }), "x y z");
  t.is(render("%lmdc{none:-dflt}", { mdc: mdc(["app", "x"]) }), "dflt");
  t.is(render("%lmdc{none:-dflt}", { mdc: undefined }), "dflt");
});

// --- %d ----------------------------------------------------------------------------------------

test("%d and %date use ISO8601 without an option or with ISO8601", (t) => {
  const dates = recordingDates();
  const layout = compilePatternLayout("%d|%date|%d{ISO8601}|%d{}", dates.options);
  t.deepEqual(dates.calls, [
    ["yyyy-MM-dd HH:mm:ss,SSS", undefined, undefined],
    ["yyyy-MM-dd HH:mm:ss,SSS", undefined, undefined],
    ["yyyy-MM-dd HH:mm:ss,SSS", undefined, undefined],
    ["yyyy-MM-dd HH:mm:ss,SSS", undefined, undefined],
  ]);
  const one = "<yyyy-MM-dd HH:mm:ss,SSS>2016-06-10T10:31:10.005Z";
  t.is(layout(EVENT), [one, one, one, one].join("|"));
});

test("%d options: pattern, time zone and locale, trimmed; quotes keep commas", (t) => {
  const dates = recordingDates();
  compilePatternLayout(
    `%d{"HH:mm:ss,SSS"}|%d{ HH:mm , UTC }|%date{'yyyy, MM', Europe/Berlin, de-DE}|%d{HH, '', x}`,
    dates.options,
  );
  t.deepEqual(dates.calls, [
    ["HH:mm:ss,SSS", undefined, undefined],
    ["HH:mm", "UTC", undefined],
    ["yyyy, MM", "Europe/Berlin", "de-DE"],
    ["HH", "", "x"],
  ]);
});

test("createDateFormatter is called exactly once per %d, at compile time", (t) => {
  const dates = recordingDates();
  const layout = compilePatternLayout("%d{HH} %msg %d{mm}", dates.options);
  t.is(dates.calls.length, 2);
  layout(EVENT);
  layout({ ...EVENT, timestamp: TIME + 1 });
  layout(EVENT);
  t.is(dates.calls.length, 2);
});

test("%d formats a repeated timestamp once", (t) => {
  const dates = recordingDates();
  const layout = compilePatternLayout("%d", dates.options);
  t.is(layout(EVENT), layout(EVENT));
  t.deepEqual(dates.formatted, [TIME]);
  layout({ ...EVENT, timestamp: TIME + 1 });
  t.deepEqual(dates.formatted, [TIME, TIME + 1]);
});

test("%d with modifiers pads and truncates the formatted date", (t) => {
  t.is(render("[%-30d{HH}]"), "[<HH>2016-06-10T10:31:10.005Z  ]");
  t.is(render("[%.5d{HH}]"), "[.005Z]");
});

test("a date formatter error becomes a PatternSyntaxError naming the word", (t) => {
  const cause = new Error('unknown pattern letter "Q"');
  const options: PatternLayoutOptions = {
    createDateFormatter: () => {
      throw cause;
    },
  };
  const error = t.throws(() => compilePatternLayout("%msg %date{QQ}", options), { instanceOf: PatternSyntaxError });
  t.is(error?.message, 'invalid date options for "%date" at position 5 (unknown pattern letter "Q")');
  t.is(error?.position, 5);
  t.is(error?.cause, cause);
});

// --- format modifiers --------------------------------------------------------------------------

test("format modifiers pad and truncate", (t) => {
  t.is(render("[%-5level]"), "[INFO ]");
  t.is(render("[%5level]"), "[ INFO]");
  t.is(render("[%+5level]"), "[ INFO]");
  t.is(render("[%5level]", { level: Level.ERROR }), "[ERROR]");
  t.is(render("[%.-1p]"), "[I]");
  t.is(render("[%.1p]"), "[O]");
  t.is(render("[%.30logger]"), "[ange.log.audit.AuditLogService]");
  t.is(render("[%.-30logger]"), "[com.openexchange.log.audit.Aud]");
  t.is(render("[%20.30c]"), "[ange.log.audit.AuditLogService]");
  t.is(render("[%20.30c]", { loggerName: "Slf4jAuditLogger" }), "[    Slf4jAuditLogger]");
  t.is(render("[%-20.30c]", { loggerName: "Slf4jAuditLogger" }), "[Slf4jAuditLogger    ]");
  t.is(render("[%3msg]", { message: "abcdef" }), "[abcdef]");
  t.is(render("[%0msg]", { message: "" }), "[]");
  t.is(render("[%010level]"), "[      INFO]");
});

test("format modifiers with min > max truncate without padding (FormattingConverter)", (t) => {
  t.is(render("[%10.3level]", { level: Level.WARN }), "[ARN]");
  t.is(render("[%10.3msg]", { message: "ab" }), "[        ab]");
  t.is(render("[%5.0msg]", { message: "" }), "[     ]");
  t.is(render("[%5.0msg]", { message: "abc" }), "[]");
  t.is(render("[%.0msg]", { message: "abc" }), "[]");
});

test("format modifiers count UTF-16 code units like Java", (t) => {
  t.is(render("[%4msg]", { message: "😀" }), "[  😀]");
  t.is(render("[%.2msg]", { message: "a😀" }), "[😀]");
  t.is(render("[%.-2msg]", { message: "a😀" }), "[a\ud83d]");
});

test("format modifiers apply to every word", (t) => {
  const values = mdc(["k", "v"]);
  const cases: [string, string][] = [
    ["[%5m]", "[ox.login, login=thorben, ip=::1]"],
    ["[%.5msg]", "[p=::1]"],
    ["[%.-5message]", "[ox.lo]"],
    ["[%.-8sanitisedMessage]", "[ox.login]"],
    ["[%-3n]", "[\n  ]"],
    ["[%-25t]", "[Slf4jAuditLogService     ]"],
    ["[%.-5thread]", "[Slf4j]"],
    ["[%6r]", "[  1234]"],
    ["[%-6relative]", "[1234  ]"],
    ["[%-7le]", "[INFO   ]"],
    ["[%25logger{0}]", "[          AuditLogService]"],
    ["[%.-3lo{0}]", "[Aud]"],
    ["[%4X{k}]", "[   v]"],
    ["[%-5mdc]", "[k=v  ]"],
    ["[%.-4lmdc]", "[ k=v]"],
    ["[%.2replace(%msg){'[^:]', ''}]", "[::]"],
    ["[%-8ereplace(%level){I, i}]", "[iNFO    ]"],
    ["[%3(x)]", "[  x]"],
  ];
  for (const [pattern, expected] of cases) {
    t.is(render(pattern, { mdc: values }), expected, pattern);
  }
});

// --- composites ----------------------------------------------------------------------------------

test("%(…) groups a sub-pattern for format modifiers", (t) => {
  t.is(render("%-30(%d{HH} %level)|"), "<HH>2016-06-10T10:31:10.005Z INFO|");
  t.is(render("%-40(%thread %level)|"), "Slf4jAuditLogService INFO               |");
  t.is(render("%40(%thread %level)|"), "               Slf4jAuditLogService INFO|");
  t.is(render("[%.3(%level)]"), "[NFO]");
  t.is(render("[%(%level)]"), "[INFO]");
  t.is(render("[%(%(%level) %-6(%thread))]", { level: Level.WARN }), "[WARN Slf4jAuditLogService]");
  t.is(render("[%()]"), "[]");
  t.is(render("[%5()]"), "[     ]");
  t.is(render("[%(a)]"), "[a]");
});

test("%replace applies Java's replaceAll to the rendered sub-pattern", (t) => {
  t.is(render("%replace(%msg){'[,;]', '_'}"), "ox.login_ login=thorben_ ip=::1");
  t.is(render("%replace(%msg){ \\s+ , _}"), "ox.login,_login=thorben,_ip=::1");
  t.is(render("%replace(%msg %level){'\\s', '_'}"), "ox.login,_login=thorben,_ip=::1_INFO");
  t.is(render("%replace(%msg){'login=(\\w+)', 'user=$1'}"), "ox.login, user=thorben, ip=::1");
  t.is(render("%replace(%msg){'(\\w+)=(\\w+)', '$2=$1'}"), "ox.login, thorben=login, ip=::1");
  t.is(render("%replace(%msg){thorben, '[$0]'}"), "ox.login, login=[thorben], ip=::1");
  t.is(render("%replace(%msg){'login=(?<user>\\w+)', 'u=${user}'}"), "ox.login, u=thorben, ip=::1");
  t.is(render("%replace(%msg){'(x)?thorben', '[$1]'}"), "ox.login, login=[], ip=::1");
  t.is(render("%replace(%msg){\\d{3}, X}", { message: "a1234b" }), "aX4b");
  t.is(render("%replace(%level){I, x}%replace(%level){'N', ''}"), "xNFOIFO");
  t.is(render("%replace(abc){b, x}"), "axc");
  t.is(render("[%replace(){a, b}]"), "[]");
});

test("%replace: $n takes as many digits as name a group, like Matcher.appendReplacement", (t) => {
  t.is(render("%replace(%msg){'(o)', '$10'}", { message: "foo" }), "fo0o0");
  const twelve = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)";
  t.is(render(`%replace(%msg){'${twelve}', '$12$1$11x'}`, { message: "abcdefghijkl" }), "lakx");
  t.is(render(`%replace(%msg){'${twelve}', '$120'}`, { message: "abcdefghijkl" }), "l0");
});

test("%replace: Java escapes in the replacement; JavaScript's $ forms do not leak through", (t) => {
  t.is(render("%replace(%msg){'login', '[\\$&][\\$`][\\$\\'][\\\\][\\$1][\\x]'}"), "ox.[$&][$`][$'][\\][$1][x], [$&][$`][$'][\\][$1][x]=thorben, ip=::1");
});

test("%replace keeps a quoted regex with commas and braces", (t) => {
  t.is(render("%replace(%msg){'[,;] ', '|'}"), "ox.login|login=thorben|ip=::1");
  t.is(render("%replace(%msg){'\\d{2,}', '#'}", { message: "1 22 333" }), "1 # #");
  t.is(render('%replace(%msg){"a,b", "c,d"}', { message: "xa,by" }), "xc,dy");
});

test("%replace translates Java-only constructs exactly", (t) => {
  const r = (regex: string, replacement: string, message: string): string =>
    render(`%replace(%msg){'${regex}', '${replacement}'}`, { message });
  // . does not match Java's line terminators, NEL included; (?s) makes it match them.
  t.is(r(".", "_", "a\u0085b\nc\u2028"), "_\u0085_\n_\u2028");
  t.is(r("(?s).", "_", "a\u0085\n"), "___");
  // Code points, not UTF-16 halves.
  t.is(r(".", "_", "😀"), "_");
  // $ also matches before a final line terminator, but not inside \r\n.
  t.is(r("$", "!", "a\n"), "a!\n!");
  t.is(r("$", "!", "a\r\n"), "a!\r\n!");
  t.is(r("\\Z", "!", "a\n"), "a!\n!");
  t.is(r("\\z", "!", "a\n"), "a\n!");
  // (?m): ^ never matches at the very end, $ before every terminator.
  t.is(r("(?m)^", "> ", "a\nb\n"), "> a\n> b\n");
  t.is(r("(?m)$", "!", "a\r\nb"), "a!\r\nb!");
  // \s, \h, \v and \R are Java's sets, not JavaScript's.
  t.is(r("\\s", "_", "a b\tc\u00a0d\u2028"), "a_b_c\u00a0d\u2028");
  t.is(r("\\h", "_", "a b\u00a0c\nd"), "a_b_c\nd");
  t.is(r("\\v", "_", "a\nb\u000bc\u2028d e"), "a_b_c_d e");
  t.is(r("\\R", "|", "a\r\nb\rc\nd"), "a|b|c|d");
  t.is(r("\\R\\n", "|", "a\r\n"), "a\r\n");
  // (?i) folds ASCII letters only, in literals and classes; flags end with their group.
  t.is(r("(?i)login", "X", "LOGIN Login"), "X X");
  t.is(r("(?i)é", "X", "É é"), "É X");
  t.is(r("(?i)[a-c]+", "X", "AbC-d"), "X-d");
  t.is(r("(a(?i)b)b", "X", "aBb aBB"), "X aBB");
  t.is(r("(?i:a)b", "X", "Ab AB"), "X AB");
  t.is(r("(?i)a(?-i)b", "X", "Ab AB"), "X AB");
  // POSIX classes are ASCII; Unicode categories and scripts work.
  t.is(r("\\p{Alpha}+", "X", "abé"), "Xé");
  t.is(r("\\p{Lu}", "_", "aBÉ"), "a__");
  t.is(r("\\p{IsLatin}+", "_", "aé中"), "_中");
  t.is(r("\\P{L}", "_", "a1b"), "a_b");
  // Atomic groups and possessive quantifiers never give back, and do not shift $n.
  t.is(r("(?>a|ab)c", "X", "abc ac"), "abc X");
  t.is(r("a*+a", "X", "aaa"), "aaa");
  t.is(r("(?>(a))(b)", "$2$1", "ab"), "ba");
  t.is(r("(a)++(b)", "$2", "aab"), "b");
  t.is(r("(a)(?>b)(c)", "$2", "abc"), "c");
  // \Q…\E, octal, hex, control and other escapes.
  t.is(r("\\Q.*\\E", "X", "a.*b"), "aXb");
  t.is(r("\\Qab\\E+", "X", "abbb a"), "X a");
  t.is(r("\\0101\\x42\\u0043\\x{44}\\cJ", "X", "ABCD\n!"), "X!");
  t.is(r("\\uD83D\\uDE00", "X", "😀"), "X");
  t.is(r("[]x]", "_", "a]x"), "a__");
  t.is(r("[^]x]", "_", "a]x"), "_]x");
  t.is(r("[\\w-]", "_", "a-!"), "__!");
  t.is(r("\\-\\_\\#", "X", "-_#"), "X");
  // Lazy quantifiers (back-references are refused: see test/pattern-safety.test.ts).
  t.is(r("<.+?>", "[]", "<a><b>"), "[][]");
  // Java's first-] rule and a class with a dash at the end.
  t.is(r("[a-]", "_", "a-b"), "__b");
});

test("%ereplace turns %n, \\n and \\r\\n in the replacement into line feeds", (t) => {
  t.is(render("%ereplace(%msg){', ', '%n'}"), "ox.login\nlogin=thorben\nip=::1");
  t.is(render("%ereplace(%msg){', ', '\\n'}"), "ox.login\nlogin=thorben\nip=::1");
  t.is(render("%ereplace(%msg){', ', '\\r\\n'}"), "ox.login\nlogin=thorben\nip=::1");
  t.is(render("%ereplace(%msg){'(\\w+)=', '%n$1:'}"), "ox.login, \nlogin:thorben, \nip:::1");
  // %replace keeps Java's meaning: \n in a replacement is just "n".
  t.is(render("%replace(%msg){', ', '\\n'}"), "ox.loginnlogin=thorbennip=::1");
  t.is(render("%replace(%msg){', ', '%n'}"), "ox.login%nlogin=thorben%nip=::1");
});

// --- literals ------------------------------------------------------------------------------------

test("literal escapes follow logback's RegularEscapeUtil", (t) => {
  t.is(render("\\%\\(\\)\\\\"), "%()\\");
  t.is(render("a\\_b"), "ab");
  t.is(render("%level\\_x"), "INFOx");
  t.is(render("\\t\\n\\r"), "\t\n\r");
  t.is(render("(%level\\)"), "(INFO)");
  t.is(render("{x} ,'y'"), "{x} ,'y'");
  t.is(render("%(%level)\\{x}"), "INFO{x}");
  t.is(render("%level%msg{ignored}"), "INFOox.login, login=thorben, ip=::1");
  t.is(render("%level {x}"), "INFO {x}");
  t.is(render("%(%level)%level"), "INFOINFO");
  // Right after a composite's ")", "\)" is an error (as in logback); "\_" separates.
  t.is(render("%(%level)\\_\\)x"), "INFO)x");
});

test("a pattern of literals only compiles to its text", (t) => {
  t.is(render("plain text"), "plain text");
  t.is(render("a%n b%t"), "a\n bSlf4jAuditLogService");
});

test("long patterns render every part", (t) => {
  const pattern = Array.from({ length: 15 }, (_, i) => `<${i}>%level`).join("") + "!";
  const expected = Array.from({ length: 15 }, (_, i) => `<${i}>INFO`).join("") + "!";
  t.is(render(pattern), expected);
});

test("the documented default and a typical pattern", (t) => {
  t.is(
    render("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n"),
    "<yyyy-MM-dd HH:mm:ss.SSS>2016-06-10T10:31:10.005Z INFO  [Slf4jAuditLogService] c.o.l.a.AuditLogService - ox.login, login=thorben, ip=::1\n",
  );
});

test("PATTERN_WORDS lists every word and alias", (t) => {
  t.deepEqual(
    [...PATTERN_WORDS].sort(),
    [
      "X", "c", "d", "date", "ereplace", "le", "level", "lmdc", "lo", "logger", "m", "mdc", "message", "msg",
      "n", "p", "r", "relative", "replace", "sanitisedMessage", "t", "thread",
    ].sort(),
  );
  t.true(Object.isFrozen(PATTERN_WORDS));
  for (const word of PATTERN_WORDS) {
    const pattern = word === "replace" || word === "ereplace" ? `%${word}(x){x, y}` : `%${word}`;
    t.notThrows(() => compilePatternLayout(pattern, OPTIONS), pattern);
  }
});

// --- syntax errors ------------------------------------------------------------------------------

const ESCAPES = '\\%, \\(, \\), \\\\, \\_, \\t, \\n and \\r; right after ")" also \\{ and \\}';
const MODIFIER_HINT = "expected [-]min, [-]min.[-]max or .[-]max with numbers up to 65535";
const SYNTAX_ERRORS: [string, string, number][] = [
  ["", "empty pattern at position 0", 0],
  // logback 1.2.11 throws "All tokens consumed but was expecting a LITERAL or '%'" for these.
  ["\\_", 'empty pattern "\\_": "\\_" only separates and prints nothing at position 0', 0],
  ["\\_\\_", 'empty pattern "\\_\\_": "\\_" only separates and prints nothing at position 0', 0],
  ["abc%", 'missing conversion word after "%" at position 3 (write "\\%" for a literal percent sign)', 3],
  ["100% sure", 'missing conversion word after "%" at position 3 (write "\\%" for a literal percent sign)', 3],
  ["%-5", 'missing conversion word after "%" at position 0 (write "\\%" for a literal percent sign)', 0],
  ["%%", 'missing conversion word after "%" at position 0 (write "\\%" for a literal percent sign)', 0],
  ["%{x}", 'missing conversion word after "%" at position 0 (write "\\%" for a literal percent sign)', 0],
  ["%d %foo", 'unknown conversion word "%foo" at position 3', 3],
  ["0123456789 %foo", 'unknown conversion word "%foo" at position 11', 11],
  ["%-5foo{x}", 'unknown conversion word "%foo" at position 0', 0],
  ["%constructor", 'unknown conversion word "%constructor" at position 0', 0],
  ["%highlight(%msg)", 'unknown conversion word "%highlight" at position 0', 0],
  ["%msgx", 'unknown conversion word "%msgx" at position 0', 0],
  ["%5.level", `invalid format modifier "5." at position 1 (${MODIFIER_HINT})`, 1],
  ["%.level", `invalid format modifier "." at position 1 (${MODIFIER_HINT})`, 1],
  ["%5-3level", `invalid format modifier "5-3" at position 1 (${MODIFIER_HINT})`, 1],
  ["%--5level", `invalid format modifier "--5" at position 1 (${MODIFIER_HINT})`, 1],
  ["%65536level", `invalid format modifier "65536" at position 1 (${MODIFIER_HINT})`, 1],
  ["%d{HH", 'unclosed "{" of "%d" at position 2', 2],
  ["%date{a, {b}", 'unclosed "{" of "%date" at position 5', 5],
  ["%d{'HH}", "unclosed quote (') in the options of \"%d\" at position 3", 3],
  ['%d{HH, "UTC}', 'unclosed quote (") in the options of "%d" at position 7', 7],
  ["%(x){a", 'unclosed "{" of "%()" at position 4', 4],
  ["%replace(%msg", 'unclosed "(" of "%replace" at position 8', 8],
  ["%replace(%msg{x}", 'unclosed "(" of "%replace" at position 8', 8],
  ["x %(%level", 'unclosed "(" at position 3', 3],
  ["%-30(%(%level)", 'unclosed "(" at position 4', 4],
  ["a)b", 'unmatched ")" at position 1 (write "\\)" for a literal parenthesis)', 1],
  ["%(a))", 'unmatched ")" at position 4 (write "\\)" for a literal parenthesis)', 4],
  ["a\\", 'dangling "\\" at end of pattern at position 1 (write "\\\\" for a literal backslash)', 1],
  ["a\\q", `illegal escape "\\q" at position 1 (allowed: ${ESCAPES})`, 1],
  ["\\{", `illegal escape "\\{" at position 0 (allowed: ${ESCAPES})`, 0],
  ["%level\\}", `illegal escape "\\}" at position 6 (allowed: ${ESCAPES})`, 6],
  // logback 1.2.11: "Failed to initialize Parser".
  ["%(a)\\)", '"\\)" right after the ")" of a composite at position 4 (logback cannot parse it; write "\\_" between them)', 4],
  ["%replace(%msg)\\(", '"\\(" right after the ")" of a composite at position 14 (logback cannot parse it; write "\\_" between them)', 14],
  ["%msg(x)", 'conversion word "%msg" does not take a sub-pattern at position 0 (write "\\(" for a literal parenthesis)', 0],
  ["%replace", 'conversion word "%replace" needs a sub-pattern in parentheses at position 0', 0],
  ["%ereplace{a,b}", 'conversion word "%ereplace" needs a sub-pattern in parentheses at position 0', 0],
  ["%logger{abc}", 'invalid length "abc" for "%logger" at position 8 (expected a non-negative integer)', 8],
  ["%c{ -1 }", 'invalid length "-1" for "%c" at position 4 (expected a non-negative integer)', 4],
  ["%lo{''}", 'invalid length "" for "%lo" at position 5 (expected a non-negative integer)', 5],
  ["%logger{99999999999}", 'invalid length "99999999999" for "%logger" at position 8 (expected a non-negative integer)', 8],
  ["%replace(%msg)", '"%replace" needs two options {regex, replacement}, got 0 at position 0', 0],
  ["x%replace(%msg){a}", '"%replace" needs two options {regex, replacement}, got 1 at position 1', 1],
  ["%ereplace(%msg){}", '"%ereplace" needs two options {regex, replacement}, got 0 at position 0', 0],
];

for (const [pattern, message, position] of SYNTAX_ERRORS) {
  test(`syntax error: ${JSON.stringify(pattern)}`, (t) => {
    const error = syntaxError(pattern);
    t.is(error.message, message);
    t.is(error.position, position);
    t.is(error.pattern, pattern);
    t.is(error.name, "PatternSyntaxError");
    t.true(error instanceof Error);
  });
}

// Regex and replacement errors: positions point into the option text.
const REGEX_ERRORS: [string, string, number][] = [
  ["%replace(%msg){'*a', x}", 'dangling meta character "*" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'a**', x}", 'dangling meta character "*" in the regex of "%replace" at position 18', 18],
  ["%replace(%msg){'{2}', x}", 'dangling meta character "{" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'a{x}', x}", 'illegal repetition "{" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'a{2', x}", 'unclosed counted closure "{" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'a{3,1}', x}", 'illegal repetition range "{3,1}" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'(a', x}", 'unclosed group "(" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'a)', x}", 'unmatched closing ")" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'[a', x}", 'unclosed character class "[" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'[z-a]', x}", 'illegal character range "z-a" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'[a-\\d]', x}", 'illegal character range "a-\\d" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'\\q', x}", 'illegal/unsupported escape sequence "\\q" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\E', x}", 'illegal/unsupported escape sequence "\\E" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'[\\b]', x}", 'illegal/unsupported escape sequence "\\b" in the regex of "%replace" at position 17', 17],
  ["%replace(%msg){'\\09', x}", 'illegal octal escape sequence "\\0" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\xZ', x}", 'illegal hexadecimal escape sequence "\\x" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\u12', x}", 'illegal Unicode escape sequence "\\u" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){a\\, x}", 'unexpected end of regex after "\\" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'(a)\\2', x}", 'back-reference "\\2" refused: matching with back-references can take exponential time in the regex of "%replace" at position 19', 19],
  ["%replace(%msg){'\\k<n>(?<n>a)', x}", 'named group "n" does not exist in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'(?<n>a)(?<n>b)', x}", 'named group "n" is defined twice in the regex of "%replace" at position 26', 26],
  ["%replace(%msg){'(?<1>a)', x}", 'a group name must start with a Latin letter in the regex of "%replace" at position 19', 19],
  ["%replace(%msg){'\\p{Nope}', x}", 'unknown character property "\\p{Nope}" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'(?q)', x}", 'unknown inline modifier "(?q" in the regex of "%replace" at position 16', 16],
  // Java constructs that have no exact JavaScript translation.
  // Unquoted options end at a comma, so this regex is "[" (quote it: '[,;]').
  ["%replace(%msg){[,;], x}", 'unclosed character class "[" in the regex of "%replace" at position 15', 15],
  ["%replace(%msg){'\\G', x}", 'unsupported Java regex construct "\\G" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\X', x}", 'unsupported Java regex construct "\\X" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\b{g}', x}", 'unsupported Java regex construct "\\b{" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'(?x) a', x}", 'unsupported regex flag "x" in the regex of "%replace" at position 18', 18],
  ["%replace(%msg){'(?iu)a', x}", 'unsupported regex flag "u" in the regex of "%replace" at position 19', 19],
  ["%replace(%msg){'[a[b]]', x}", 'unsupported Java regex construct "[" inside a character class (union) in the regex of "%replace" at position 18', 18],
  ["%replace(%msg){'[a-z&&[^b]]', x}", 'unsupported Java regex construct "&&" (class intersection) in the regex of "%replace" at position 20', 20],
  ["%replace(%msg){'\\p{InGreek}', x}", 'unsupported Java regex construct "\\p{InGreek}" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'\\p{javaLowerCase}', x}", 'unsupported Java regex construct "\\p{javaLowerCase}" in the regex of "%replace" at position 16', 16],
  ["%replace(%msg){'(?i)\\p{Lu}', x}", 'unsupported Java regex construct "\\p{Lu}" under (?i) in the regex of "%replace" at position 20', 20],
  ["%replace(%msg){'(?i)(a)\\1', x}", 'unsupported Java regex construct "\\1" under (?i) (case-insensitive back-reference) in the regex of "%replace" at position 23', 23],
  // Replacement errors (Matcher.appendReplacement would throw on the first match).
  ["%replace(%msg){a, x\\}", 'missing character after "\\" in the replacement of "%replace" at position 19', 19],
  ["%replace(%msg){a, 'x$'}", 'missing group reference after "$" in the replacement of "%replace" at position 20', 20],
  ["%replace(%msg){a, '$$'}", 'illegal group reference "$$" in the replacement of "%replace" at position 19', 19],
  ["%replace(%msg){a, '$x'}", 'illegal group reference "$x" in the replacement of "%replace" at position 19', 19],
  ["%replace(%msg){'(a)', 'x$2'}", 'no group 2 in the regex (for "$2") in the replacement of "%replace" at position 24', 24],
  ["%replace(%msg){a, '${n}'}", 'no group named "n" in the regex in the replacement of "%replace" at position 19', 19],
  ["%replace(%msg){a, '${}'}", 'invalid group name in "${}" in the replacement of "%replace" at position 19', 19],
  ["%replace(%msg){'(?<n>a)', '${n'}", 'missing "}" after "${n" in the replacement of "%replace" at position 27', 27],
  ["%ereplace(%msg){a, 'x%n$3'}", 'no group 3 in the regex (for "$3") in the replacement of "%ereplace" at position 20', 20],
];

for (const [pattern, message, position] of REGEX_ERRORS) {
  test(`regex error: ${pattern}`, (t) => {
    const error = syntaxError(pattern);
    t.is(error.message, message);
    t.is(error.position, position);
  });
}

// --- properties ----------------------------------------------------------------------------------

test("property: escaped literal text renders unchanged", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", minLength: 1 }), (text) => {
      const pattern = text.replace(/[%()\\]/g, "\\$&");
      return compilePatternLayout(pattern, OPTIONS)(EVENT) === text;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test("property: literal text around a conversion renders unchanged", (t) => {
  const escape = (text: string): string => text.replace(/[%()\\]/g, "\\$&");
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (before, after, message) => {
      // A literal right after a word must not continue it: start it with a non-identifier char.
      const pattern = `${escape(before)}%msg|${escape(after)}`;
      return compilePatternLayout(pattern, OPTIONS)({ ...EVENT, message }) === `${before}${message}|${after}`;
    }),
  );
  t.pass();
});

test("property: %Nmsg and %.Nmsg pad and truncate to exactly N code units", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 0, max: 40 }), (message, n) => {
      const padded = compilePatternLayout(`%${n}msg`, OPTIONS)({ ...EVENT, message });
      const right = compilePatternLayout(`%-${n}msg`, OPTIONS)({ ...EVENT, message });
      const cut = compilePatternLayout(`%.${n}msg`, OPTIONS)({ ...EVENT, message });
      const cutLeft = compilePatternLayout(`%.-${n}msg`, OPTIONS)({ ...EVENT, message });
      const width = Math.max(n, message.length);
      return (
        padded.length === width &&
        padded.endsWith(message) &&
        right.length === width &&
        right.startsWith(message) &&
        cut === message.slice(Math.max(0, message.length - n)) &&
        cutLeft === message.slice(0, n)
      );
    }),
  );
  t.pass();
});

test("property: %replace with a quoted literal regex equals split/join", (t) => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 3 }).filter((s) => !s.includes("\\E") && !s.includes("'") && !s.endsWith("\\")),
      fc.stringMatching(/^[a-z_ ]{0,4}$/),
      fc.string(),
      (needle, replacement, message) => {
        const pattern = `%replace(%msg){'\\Q${needle}\\E', '${replacement}'}`;
        const expected = message.split(needle).join(replacement);
        return compilePatternLayout(pattern, OPTIONS)({ ...EVENT, message }) === expected;
      },
    ),
  );
  t.pass();
});
