import test from "ava";
import fc from "fast-check";
import { Level } from "../src/facade/level.js";
import type { AuditEvent } from "../src/format/event.js";
import { base } from "./lib/format-fixtures.js";
import {
  MAX_SEQUENCE_ID,
  RFC5424_MIN_MAX_BYTES,
  TRUNCATION_MARKER,
  originProblem,
  rfc5424MinMaxBytes,
  sdIdProblem,
  sequenceCounter,
  compileRfc5424,
  escapeParamValue,
  formatRfc5424,
  frameOctetCounting,
  headerField,
  paramName,
} from "../src/format/rfc5424.js";


const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

interface Parsed {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string | undefined;
  params: Array<[string, string]>;
  msg: string | undefined;
}

/**
 * A strict RFC 5424 parser for what we emit: header fields within PRINTUSASCII and their
 * maximum lengths, SD "-" or one SD-ELEMENT whose PARAM-VALUEs escape '"', '\' and ']' (and
 * contain no other backslash), MSG optional.
 */
function parse5424(message: string): Parsed {
  const header =
    /^<(0|[1-9][0-9]{0,2})>1 (-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})) ([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) /.exec(
      message,
    );
  if (header === null) throw new Error(`bad header: ${JSON.stringify(message.slice(0, 600))}`);
  const pri = Number(header[1]);
  if (pri > 191) throw new Error("PRI out of range");
  let i = header[0].length;
  const params: Array<[string, string]> = [];
  let sdId: string | undefined;
  if (message[i] === "-") {
    i++;
  } else {
    if (message[i] !== "[") throw new Error(`SD must start with [ at ${i}`);
    i++;
    const id = /^[!-~]{1,32}/.exec(message.slice(i));
    if (id === null) throw new Error("bad SD-ID");
    sdId = id[0].replace(/[=\]" ].*$/s, "");
    if (sdId === "") throw new Error("empty SD-ID");
    i += sdId.length;
    for (;;) {
      if (message[i] === "]") {
        i++;
        break;
      }
      if (message[i] !== " ") throw new Error(`expected SP or ] at ${i}: ${JSON.stringify(message.slice(i, i + 20))}`);
      i++;
      const name = /^[^=\]" ]{1,32}=/.exec(message.slice(i, i + 40));
      if (name === null || !/^[!-~]+$/.test(name[0].slice(0, -1))) throw new Error(`bad PARAM-NAME at ${i}`);
      i += name[0].length;
      if (message[i] !== '"') throw new Error("expected quote");
      i++;
      let value = "";
      for (;;) {
        const c = message[i];
        if (c === undefined) throw new Error("unterminated PARAM-VALUE");
        if (c === '"') {
          i++;
          break;
        }
        if (c === "]") throw new Error("unescaped ] in PARAM-VALUE");
        if (c === "\\") {
          const next = message[i + 1];
          if (next !== '"' && next !== "\\" && next !== "]") throw new Error("bad escape");
          value += next;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      params.push([name[0].slice(0, -1), value]);
    }
  }
  let msg: string | undefined;
  if (i < message.length) {
    if (message[i] !== " ") throw new Error("expected SP before MSG");
    msg = message.slice(i + 1);
  }
  return {
    pri,
    timestamp: header[2] ?? "",
    hostname: header[3] ?? "",
    appName: header[4] ?? "",
    procId: header[5] ?? "",
    msgId: header[6] ?? "",
    sdId,
    params,
    msg,
  };
}

const wellFormedUtf8 = (s: string): boolean => new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(s, "utf8")) === s;

test("a representative event, exactly", (t) => {
  t.is(
    formatRfc5424(base),
    '<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login [audit@32473 login="alice" ip="192.0.2.1"] ox.login login=alice ip=192.0.2.1',
  );
});

test("PRI from facility and level; custom SD-ID", (t) => {
  const format = compileRfc5424({ facility: 4, sdId: "oxaudit@32473" });
  t.true(format({ ...base, level: Level.ERROR }).startsWith("<35>1 "));
  t.true(format({ ...base, level: Level.WARN }).startsWith("<36>1 "));
  t.true(format({ ...base, level: Level.INFO }).startsWith("<38>1 "));
  t.true(format({ ...base, level: Level.DEBUG }).startsWith("<39>1 "));
  t.true(format({ ...base, level: Level.TRACE }).startsWith("<39>1 "));
  t.true(format(base).includes(" [oxaudit@32473 login="));
  t.true(compileRfc5424({ facility: 23 })({ ...base, level: Level.TRACE }).startsWith("<191>1 "));
});

test("bad options are refused once, at compile time", (t) => {
  t.throws(() => compileRfc5424({ facility: 24 }), { instanceOf: RangeError });
  t.throws(() => compileRfc5424({ facility: 1.5 }), { instanceOf: RangeError });
  t.throws(() => compileRfc5424({ sdId: "a b" }), { instanceOf: RangeError });
  t.throws(() => compileRfc5424({ sdId: "a@b" }), { instanceOf: RangeError });
  t.throws(() => compileRfc5424({ maxBytes: RFC5424_MIN_MAX_BYTES - 1 }), { instanceOf: RangeError });
  t.notThrows(() => compileRfc5424({ maxBytes: RFC5424_MIN_MAX_BYTES }));
});

test("escaping of \", \\ and ] in PARAM-VALUE; nulls omitted from SD but kept in MSG", (t) => {
  t.is(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  const out = formatRfc5424({ ...base, attributes: [["v", 'say "hi" \\o/ [x]'], ["n", null]] as const });
  t.is(
    out,
    '<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login [audit@32473 v="say \\"hi\\" \\\\o/ [x\\]"] ox.login v=say\\ "hi"\\ \\\\o/\\ [x] n=\\N',
  );
  t.deepEqual(parse5424(out).params, [["v", 'say "hi" \\o/ [x]']]);
});

test("no attributes or only nulls: SD is NILVALUE", (t) => {
  t.is(formatRfc5424({ ...base, attributes: [] }), "<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login - ox.login");
  t.is(formatRfc5424({ ...base, attributes: [["a", null]] }, { msg: false }), "<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login -");
});

test("invalid PARAM-NAMEs are mapped deterministically with the position as ~N", (t) => {
  t.is(paramName("login", 0), "login");
  t.is(paramName("a=b", 2), "a_b~3");
  t.is(paramName("", 0), "_~1");
  t.is(paramName("x]y\"z w", 4), "x_y_z_w~5");
  t.is(paramName("has~tilde", 1), "has_tilde~2");
  t.is(paramName("mäil😀", 0), "m_il_~1");
  t.is(paramName("n".repeat(32), 0), "n".repeat(32));
  t.is(paramName("n".repeat(33), 9), "n".repeat(29) + "~10");
  const out = formatRfc5424({ ...base, attributes: [["a=b", "1"], ["", "2"], ["ok", "3"]] });
  t.deepEqual(parse5424(out).params, [
    ["a_b~1", "1"],
    ["_~2", "2"],
    ["ok", "3"],
  ]);
  t.true(out.endsWith(" ox.login a\\=b=1 =2 ok=3"));
});

test("header fields: PRINTUSASCII only, maximum lengths, NILVALUE", (t) => {
  t.is(headerField("my host", 255), "my_host");
  t.is(headerField("mäil😀", 255), "m_il_");
  t.is(headerField("", 48), "-");
  const out = formatRfc5424({
    ...base,
    hostname: "h".repeat(300),
    appName: "a".repeat(60),
    procId: "p".repeat(200),
    eventId: "e".repeat(40),
  });
  const p = parse5424(out);
  t.is(p.hostname, "h".repeat(255));
  t.is(p.appName, "a".repeat(48));
  t.is(p.procId, "p".repeat(128));
  t.is(p.msgId, "e".repeat(32));
  t.is(p.msg, "e".repeat(40) + " login=alice ip=192.0.2.1");
  const empty = parse5424(formatRfc5424({ ...base, hostname: "", appName: "", procId: "", eventId: "" }));
  t.deepEqual([empty.hostname, empty.appName, empty.procId, empty.msgId], ["-", "-", "-", "-"]);
  t.is(parse5424(formatRfc5424({ ...base, timestamp: NaN })).timestamp, "-");
  t.is(parse5424(formatRfc5424({ ...base, timestamp: Date.UTC(10000, 0, 1) })).timestamp, "-");
});

test("BOM before a non-ASCII MSG (auto), always or never", (t) => {
  const event = { ...base, attributes: [["city", "Köln"]] as const };
  t.true(formatRfc5424(event).endsWith(' [audit@32473 city="Köln"] \uFEFFox.login city=Köln'));
  t.true(formatRfc5424(base, { bom: "always" }).endsWith("] \uFEFFox.login login=alice ip=192.0.2.1"));
  t.true(formatRfc5424(event, { bom: "never" }).endsWith("] ox.login city=Köln"));
});

test("maxBytes cuts MSG on a UTF-8 boundary with the marker", (t) => {
  const event = { ...base, attributes: [["v", "€".repeat(400)]] as const };
  const full = formatRfc5424(event, { msg: false });
  // SP, BOM, "ox.login v=" (11 bytes), 7 bytes of value (two 3-byte "€" and one byte that cannot hold a third), marker.
  const max = bytes(full) + 1 + 3 + 11 + 7 + TRUNCATION_MARKER.length;
  const out = formatRfc5424(event, { maxBytes: max });
  t.is(out, full + " \uFEFFox.login v=€€" + TRUNCATION_MARKER);
  t.is(bytes(out), max - 1);
  t.true(wellFormedUtf8(out));
  t.is(parse5424(out).params.length, 1);
});

test("maxBytes inside SD ends the SD cleanly, never inside an escape or a character", (t) => {
  const value = '€"€\\€]'.repeat(100);
  const event = { ...base, attributes: [["a", "x"], ["v", value], ["w", "never"]] as const };
  for (let max = RFC5424_MIN_MAX_BYTES; max < 700; max++) {
    const out = formatRfc5424(event, { maxBytes: max });
    t.true(bytes(out) <= max, `max ${max}`);
    const p = parse5424(out);
    t.is(p.msg, TRUNCATION_MARKER);
    t.deepEqual(p.params[0], ["a", "x"]);
    const v = p.params[1];
    if (v !== undefined) {
      t.is(v[0], "v");
      // The cut value ends with the marker (its "]" escaped on the wire).
      t.true(v[1].endsWith(TRUNCATION_MARKER), `max ${max}: ${v[1]}`);
      const kept = v[1].slice(0, -TRUNCATION_MARKER.length);
      t.true(value.startsWith(kept) && kept.length > 0);
    }
    t.is(p.params.length <= 2, true);
  }
});

test("property: maxBytes N gives at most N bytes of well-formed UTF-8 and strict RFC 5424", (t) => {
  const unit = fc.constantFrom("a", "Z", "0", '"', "\\", "]", "[", "=", " ", "~", "é", "€", "😀", "\n", "\u2028", "\uD800", "\uDC00", "\0");
  const text = fc.string({ unit, maxLength: 60 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(text, fc.option(text, { nil: null })), { maxLength: 30 }),
      text,
      text,
      fc.integer({ min: RFC5424_MIN_MAX_BYTES, max: 1500 }),
      fc.constantFrom<"auto" | "always" | "never">("auto", "always", "never"),
      (attributes, eventId, hostname, maxBytes, bom) => {
        const event: AuditEvent = { ...base, attributes, eventId, hostname };
        const unlimited = formatRfc5424(event, { bom });
        const out = formatRfc5424(event, { maxBytes, bom });
        if (bytes(out) > maxBytes) throw new Error(`${bytes(out)} > ${maxBytes}`);
        if (!wellFormedUtf8(out)) throw new Error("not well-formed UTF-8");
        const p = parse5424(out);
        const full = parse5424(unlimited);
        if (out === unlimited) return;
        if (!out.endsWith(TRUNCATION_MARKER)) throw new Error("cut without marker");
        // Kept params are a prefix of the full ones (the last may be cut inside its value).
        p.params.forEach(([name, value], i) => {
          const f = full.params[i];
          if (f === undefined || f[0] !== name) throw new Error("param names differ");
          if (i < p.params.length - 1 ? f[1] !== value : !f[1].startsWith(value)) throw new Error("param value differs");
        });
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test("property: uncut SD values read back exactly (lone surrogates as U+FFFD)", (t) => {
  const unit = fc.constantFrom("a", '"', "\\", "]", "é", "😀", "\n", "\uD800");
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ unit, maxLength: 20 })), { maxLength: 10 }), (attributes) => {
      const p = parse5424(formatRfc5424({ ...base, attributes }));
      const expected = attributes.map(([n, v]) => [n, v.replace(/\uD800/g, "\uFFFD")]);
      if (JSON.stringify(p.params) !== JSON.stringify(expected)) throw new Error("values differ");
    }),
  );
  t.pass();
});

test("octet-counting framing counts bytes", (t) => {
  for (const message of ["", "abc", "é€😀", formatRfc5424({ ...base, attributes: [["v", "Grüße\n😀"]] })]) {
    const framed = frameOctetCounting(message);
    const [len, ...rest] = framed.split(" ");
    t.is(Number(len), Buffer.byteLength(message));
    t.is(rest.join(" "), message);
  }
  t.is(frameOctetCounting("é"), "2 é");
});

test("sdId: a private SD-ID name@<enterprise number> is accepted; anything else is refused with what was expected", (t) => {
  for (const ok of ["audit@32473", "audit@64001", "x@1.2.3", "a-b_c@99"]) t.is(sdIdProblem(ok), undefined, ok);
  for (const [bad, why] of [
    ["audit", /name@<private enterprise number>/],
    ["audit@", /name@<private enterprise number>/],
    ["audit@0123", /without leading zeros/],
    ["audit@12a", /name@<private enterprise number>/],
    ["@32473", /name@<private enterprise number>/],
    ["au dit@32473", /a character an SD-NAME cannot/],
    ['au"dit@32473', /a character an SD-NAME cannot/],
    ["audit]@32473", /a character an SD-NAME cannot/],
    ["audité@32473", /a character an SD-NAME cannot/],
    ["a@b@32473", /name@<private enterprise number>/],
    ["x".repeat(27) + "@32473", /it has 33 characters/],
    ["", /it has 0 characters/],
    ["meta", /IANA-registered/],
  ] as const) {
    t.regex(sdIdProblem(bad) ?? "accepted", why, bad);
  }
  t.throws(() => compileRfc5424({ sdId: "audit" }), { instanceOf: RangeError, message: /^sdId "audit": expected an SD-ID of the form name@<private enterprise number>/ });
  t.true(formatRfc5424(base, { sdId: "oxaudit@64001" }).includes(' [oxaudit@64001 login="alice" ip="192.0.2.1"] '));
});

test("[meta sequenceId] counts 1, 2, … per formatter's counter and wraps from 2147483647 to 1 (RFC 5424 §7.3.1)", (t) => {
  const format = compileRfc5424({ sequence: sequenceCounter() });
  t.true(format(base).includes(' ox.login [meta sequenceId="1"][audit@32473 login="alice" ip="192.0.2.1"] '));
  t.true(format(base).includes(' [meta sequenceId="2"][audit@32473 '));
  // Without attributes the meta element is the structured data.
  t.regex(format({ ...base, attributes: [] }), / ox\.login \[meta sequenceId="3"\] ox\.login$/);
  const near = sequenceCounter(MAX_SEQUENCE_ID - 1);
  t.deepEqual([near(), near(), near(), near()], [MAX_SEQUENCE_ID - 1, MAX_SEQUENCE_ID, 1, 2]);
});

test("[origin software swVersion]: written escaped after meta; lengths checked (RFC 5424 §7.2)", (t) => {
  const out = compileRfc5424({ sequence: sequenceCounter(), origin: { software: 'ox "app"', swVersion: "8.21]" } })(base);
  t.true(out.includes(' [meta sequenceId="1"][origin software="ox \\"app\\"" swVersion="8.21\\]"][audit@32473 login="alice"'), out);
  t.true(compileRfc5424({ origin: { software: "slf4ts" } })(base).includes(' [origin software="slf4ts"][audit@32473 '));
  t.regex(originProblem("software", "x".repeat(49)) ?? "", /1 to 48 characters/);
  t.regex(originProblem("swVersion", "x".repeat(33)) ?? "", /1 to 32 characters/);
  t.regex(originProblem("software", "a\nb") ?? "", /control characters/);
  t.is(originProblem("software", "€".repeat(48)), undefined);
  t.throws(() => compileRfc5424({ origin: { software: "" } }), { instanceOf: RangeError, message: /origin: expected 1 to 48 characters/ });
});

test("meta and origin come before the audit element, so a cut at the smallest maxBytes keeps them; that minimum grows by their size", (t) => {
  const options = { sequence: sequenceCounter(), origin: { software: "s".repeat(48), swVersion: "v".repeat(32) } };
  const min = rfc5424MinMaxBytes(options);
  t.is(rfc5424MinMaxBytes({}), RFC5424_MIN_MAX_BYTES);
  t.is(min, RFC5424_MIN_MAX_BYTES + '[meta sequenceId="2147483647"]'.length + `[origin software="${"s".repeat(48)}" swVersion="${"v".repeat(32)}"]`.length);
  t.throws(() => compileRfc5424({ ...options, maxBytes: min - 1 }), { instanceOf: RangeError });
  const longest: AuditEvent = { ...base, hostname: "h".repeat(255), appName: "a".repeat(48), procId: "p".repeat(128), eventId: "e".repeat(32), attributes: [["v", "x".repeat(2000)]] };
  const out = compileRfc5424({ ...options, maxBytes: min })(longest);
  t.true(bytes(out) <= min, `${bytes(out)} > ${min}`);
  t.true(out.includes(' [meta sequenceId="1"][origin software="'));
  t.true(out.endsWith(" " + TRUNCATION_MARKER));
});

test("lineBreaks=escape (newline framing): LF and CR in values become \\n and \\r, a real backslash stays \\\\, and maxBytes counts the escapes", (t) => {
  const event = { ...base, attributes: [["v", "a\nb\\nc\r\nd"]] as const };
  const out = compileRfc5424({ lineBreaks: "escape" })(event);
  t.false(/[\r\n]/.test(out));
  t.true(out.includes(' [audit@32473 v="a\\nb\\\\nc\\r\\nd"] '), out);
  // kept by default (octet counting frames it)
  t.true(formatRfc5424(event).includes('v="a\nb\\\\nc\r\nd"'));
  const long = { ...base, attributes: [["v", "\n".repeat(3000)]] as const };
  for (const max of [RFC5424_MIN_MAX_BYTES, 600, 1000, 4000, 8096]) {
    const cut = compileRfc5424({ lineBreaks: "escape", maxBytes: max })(long);
    t.true(bytes(cut) <= max, `max ${max}`);
    t.false(/[\r\n]/.test(cut));
    // 3000 escaped LFs are 6000 bytes: cut inside the value below that, inside MSG above.
    t.true(max < 6000 ? /v="(\\n)+\.\.\.\[truncated\\\]"\] \.\.\.\[truncated\]$/.test(cut) : / ox\.login v=(\\n)+\\?\.\.\.\[truncated\]$/.test(cut), `max ${max}`);
  }
  t.throws(() => compileRfc5424({ lineBreaks: "strip" as "keep" }), { instanceOf: RangeError });
});
