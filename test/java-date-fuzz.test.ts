/**
 * SimpleDateFormat against the real thing: a seeded fuzz of patterns (every letter slf4ts
 * supports at 1-5 repetitions, quotes, literals, illegal letters) × locales × zones × instants
 * (DST changes, week-year edges, before 1970 and before 1900), formatted by Java 17's
 * `java.text.SimpleDateFormat` with the JDK's default locale providers (test/java/
 * SimpleDateFormatCases.java) and by `compileJavaDatePattern`. A pattern Java rejects must be
 * rejected with Java's message; any other difference must be one of the known ones below, each
 * keyed by what differs, and documented in docs/java-compatibility.md ("SimpleDateFormat").
 */
import test from "ava";
import { IANAZone } from "luxon";
import { compileJavaDatePattern } from "../src/java/date.js";
import { JavaDatePatternError, PATTERN_LETTERS, tokenizeDatePattern } from "../src/java/date-pattern.js";
import { parseJavaTimeZone } from "../src/java/zone.js";
import { javaOrSkip } from "./lib/java.js";
import { seededRandom } from "./lib/prng.js";

const LOCALES = ["en_US", "en_GB", "de_DE", "de", "fr_FR", "ru_RU", "ja_JP", "ar_EG", "hi_IN", "pt_BR", "es_ES", "zh_CN"] as const;
const ZONES = [
  "UTC",
  "GMT",
  "GMT+05:30",
  "GMT-08:00",
  "Europe/Berlin",
  "Europe/London",
  "America/New_York",
  "America/Sao_Paulo",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
  "America/St_Johns",
  "Asia/Tokyo",
] as const;
/** Literal pieces between fields: punctuation, quoted words, quotes, non-ASCII text. */
const LITERALS = ["-", ":", " ", ".", "/", ", ", "'T'", "'at' ", "''", "'o''clock'", "ü", "|", "'zZ'", "年"];
/** ASCII letters Java rejects outside quotes. */
const ILLEGAL = "bcefgijlnopqrtvxABCIJNOPQRTUVW";

/** The instants where a zone's offset changes in a year (found by bisection over luxon). */
function transitions(zone: string, year: number): number[] {
  const z = IANAZone.create(zone);
  const found: number[] = [];
  const step = 6 * 3_600_000;
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += step) {
    if (z.offset(t) === z.offset(t + step)) continue;
    let lo = t;
    let hi = t + step;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (z.offset(mid) === z.offset(lo)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

/** Interesting instants for a zone: DST changes, week-year edges, before 1970 and 1900. */
function instants(zone: string, next: () => number): number[] {
  const between = (from: number, to: number): number => Math.floor(from + next() * (to - from));
  const out: number[] = [];
  if (zone.includes("/")) {
    for (const year of [1946, 1985, 2016, 2024]) {
      for (const at of transitions(zone, year)) {
        for (const d of [-3_600_001, -1000, -1, 0, 1, 999, 1800_000, 3_600_000]) out.push(at + d);
      }
    }
  }
  for (let i = 0; i < 12; i++) {
    const year = between(1583, 2100);
    out.push(Date.UTC(year, 11, 28 + between(0, 8), between(0, 24), between(0, 60), between(0, 60), between(0, 1000)));
  }
  for (let i = 0; i < 8; i++) out.push(between(Date.UTC(1583, 0, 1), Date.UTC(1900, 0, 1)));
  for (let i = 0; i < 8; i++) out.push(between(Date.UTC(1900, 0, 1), 0));
  for (let i = 0; i < 8; i++) out.push(between(0, Date.UTC(2100, 0, 1)));
  out.push(Date.UTC(1899, 11, 31, 12), Date.UTC(1900, 0, 1) - 1, Date.UTC(1900, 0, 1), Date.UTC(1893, 2, 31, 23));
  return [...new Set(out)];
}

/** A random pattern: 1-5 fields of any letter at 1-5 repetitions, literals between them. */
function pattern(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const fields = 1 + Math.floor(next() * 5);
  let out = next() < 0.2 ? pick(LITERALS) : "";
  for (let i = 0; i < fields; i++) {
    const letter = pick([...PATTERN_LETTERS]);
    out += letter.repeat(1 + Math.floor(next() * (letter === "X" ? 3.3 : 5)));
    if (i < fields - 1 || next() < 0.2) out += pick(LITERALS);
  }
  const roll = next();
  if (roll < 0.02) out += pick([...ILLEGAL]);
  else if (roll < 0.03) out += "'unterminated";
  return out;
}

type Case = readonly [pattern: string, locale: string, zone: string, instant: number];

function cases(seed: number, count: number): Case[] {
  const next = seededRandom(seed).next;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const byZone = new Map<string, number[]>(ZONES.map((z) => [z, instants(z, next)]));
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const zone = pick(ZONES);
    out.push([pattern(next), pick(LOCALES), zone, pick(byZone.get(zone) as number[])]);
  }
  return out;
}

/** Zones parsed once (a parse asks Intl to resolve the id: about a millisecond each). */
const parsedZones = new Map(ZONES.map((z) => [z, parseJavaTimeZone(z)]));

function ours(c: Case): { text: string } | { error: string } {
  const [p, locale, zone, instant] = c;
  try {
    return { text: compileJavaDatePattern(p, { locale, zone: parsedZones.get(zone as (typeof ZONES)[number]) ?? parseJavaTimeZone(zone) })(instant) };
  } catch (e) {
    if (e instanceof JavaDatePatternError) return { error: e.message };
    throw e;
  }
}

const ARABIC_INDIC = /[\u0660-\u0669]/g;
/** The localised GMT format ICU falls back to: "GMT+09:00", fr "UTC+09:00", ar "غرينتش+09:00". */
const GMT_FORMAT = /^(GMT|UTC|غرينتش)[+\u2212-]\d{2}:\d{2}$/;

/**
 * Every difference from Java 17 that the fuzz may meet, keyed by what differs, with the reason.
 * docs/java-compatibility.md ("SimpleDateFormat") lists the same.
 */
const KNOWN: ReadonlyMap<string, string> = new Map([
  ["digits of ar_EG", "Java prints the locale's Arabic-Indic digits, slf4ts always ASCII (deliberate)"],
  ["week rules of zh_CN", "Java 17's CLDR 39 starts weeks in CN on Sunday, Node's CLDR on Monday (Y, w, W)"],
  ["a in es_ES: U+00A0 where ICU has U+202F", "CLDR 39 writes \"p.\u00a0m.\", Node's CLDR \"p.\u202fm.\""],
  ["M/L in hi_IN: Java \"अक्तूबर\", ICU \"अक्टूबर\"", "CLDR changed the Hindi spelling of October after CLDR 39"],
  ["M/L in hi_IN: Java \"अक्तू॰\", ICU \"अक्टू॰\"", "the same, abbreviated"],
  ...["Asia/Tokyo JST", "Asia/Kathmandu NPT", "America/Sao_Paulo BRT", "America/Sao_Paulo BRST", "America/St_Johns NST", "America/St_Johns NDT", "Pacific/Chatham CHAST", "Pacific/Chatham CHADT"].map(
    (k): [string, string] => [`z of ${k}`, "Java's legacy COMPAT abbreviation, in every locale; ICU has none, so slf4ts prints the localised GMT offset as Java's CLDR fallback does"],
  ),
]);

/** What a field's difference is about (a key of KNOWN when it is a known one). */
function differenceKey(letter: string, locale: string, zone: string, javaText: string, ourText: string): string {
  if (locale === "ar_EG" && javaText !== javaText.replace(ARABIC_INDIC, "")) {
    const ascii = javaText.replace(ARABIC_INDIC, (d) => String(d.charCodeAt(0) - 0x660));
    return ascii === ourText ? "digits of ar_EG" : differenceKey(letter, locale, zone, ascii, ourText);
  }
  if ("YwW".includes(letter) && locale === "zh_CN") return "week rules of zh_CN";
  if (javaText.replace(/\u00a0/g, "\u202f") === ourText) return `${letter} in ${locale}: U+00A0 where ICU has U+202F`;
  if (letter === "z" && /^[A-Z]{2,5}$/.test(javaText) && GMT_FORMAT.test(ourText)) return `z of ${zone} ${javaText}`;
  if ("ML".includes(letter)) return `M/L in ${locale}: Java ${JSON.stringify(javaText)}, ICU ${JSON.stringify(ourText)}`;
  return `${letter} in ${locale}, ${zone}: Java ${JSON.stringify(javaText)}, slf4ts ${JSON.stringify(ourText)}`;
}

test("SimpleDateFormat: thousands of seeded patterns × locales × zones × instants format as in Java 17", (t) => {
  // About 10 s of CPU (a JVM start and javac included); the margin is for a loaded machine.
  t.timeout(240_000);
  const run = javaOrSkip(t, "SimpleDateFormatCases");
  if (run === undefined) return;
  const all = cases(20261203, 3000);
  const answers = run(all.map((c) => ["format", ...c]));
  const unknown: string[] = [];
  const seen = new Map<string, number>();
  const mismatched: { c: Case; field: string; alone: string }[] = [];
  let rejected = 0;
  all.forEach((c, i) => {
    const javaAnswer = answers[i] as string | { error: string };
    const mine = ours(c);
    if (typeof javaAnswer === "object") {
      rejected++;
      const javaMessage = javaAnswer.error.replace(/^java\.lang\.IllegalArgumentException: /, "");
      if (!("error" in mine) || !mine.error.startsWith(`${javaMessage} at position `)) unknown.push(`${JSON.stringify(c)}: Java rejects (${javaMessage}), slf4ts ${JSON.stringify(mine)}`);
      return;
    }
    if ("error" in mine) {
      unknown.push(`${JSON.stringify(c)}: slf4ts rejects (${mine.error}), Java ${JSON.stringify(javaAnswer)}`);
      return;
    }
    if (mine.text === javaAnswer) return;
    // Whole texts differ: find the fields that do, each in a pattern of its own (a lone field
    // next to a plain 'd' so that M keeps its format form, unless it was alone already).
    const fields = tokenizeDatePattern(c[0]).filter((tk) => tk.kind === "field");
    for (const f of fields) {
      if (f.kind !== "field") continue;
      const field = f.letter.repeat(f.count);
      mismatched.push({ c, field, alone: fields.length === 1 ? field : `${field}'\u0001'd` });
    }
  });
  const fieldAnswers = mismatched.length === 0 ? [] : run(mismatched.map((m) => ["format", m.alone, m.c[1], m.c[2], m.c[3]]));
  const differing = new Set<Case>();
  mismatched.forEach((m, i) => {
    const strip = (s: string): string => (m.alone === m.field ? s : s.slice(0, s.lastIndexOf("\u0001")));
    const javaText = strip(fieldAnswers[i] as string);
    const mine = ours([m.alone, m.c[1], m.c[2], m.c[3]]);
    const ourText = "text" in mine ? strip(mine.text) : mine.error;
    if (javaText === ourText) return;
    differing.add(m.c);
    const letter = m.field.charAt(0);
    const key = differenceKey(letter, m.c[1], m.c[2], javaText, ourText);
    if (!KNOWN.has(key)) unknown.push(`${key} (${m.field}, ${new Date(m.c[3]).toISOString()} = ${m.c[3]})`);
    else seen.set(key, (seen.get(key) ?? 0) + 1);
  });
  // A whole pattern that differs although each of its fields alone agrees is a new difference too.
  all.forEach((c, i) => {
    const mine = ours(c);
    if (typeof answers[i] === "string" && "text" in mine && mine.text !== answers[i] && !differing.has(c)) {
      unknown.push(`${JSON.stringify(c)}: Java ${JSON.stringify(answers[i])}, slf4ts ${JSON.stringify(mine.text)} (each field alone agrees)`);
    }
  });
  for (const [key, n] of seen) t.log(`known difference (${n}×): ${key}: ${KNOWN.get(key) ?? ""}`);
  for (const key of KNOWN.keys()) if (!seen.has(key)) t.log(`known difference not met this time: ${key}`);
  // The fuzz does reach Java's errors (illegal letters, unterminated quotes, XXXX).
  t.true(rejected >= 50, `only ${rejected} patterns rejected`);
  t.deepEqual(unknown, [], `${unknown.length} differences nobody has looked at:\n${unknown.slice(0, 200).join("\n")}`);
});

test("before 1900 every zone has Java's raw offset (TimeZone.getRawOffset) of today", (t) => {
  t.timeout(240_000);
  const run = javaOrSkip(t, "SimpleDateFormatCases");
  if (run === undefined) return;
  const zones = Intl.supportedValuesOf("timeZone");
  const raw = run(zones.map((z) => ["rawOffset", z])) as string[];
  // Java's tz data and Node's are released apart (this machine's Java 17 has had tz data newer
  // than Node's, where four Canadian zones keep daylight time all year): a zone whose offsets now
  // and in six months differ between the two cannot tell this rule apart, and is left out (and
  // logged). Few may differ so, or the comparison says nothing.
  const instants = [Date.now(), Date.now() + 182 * 86_400_000];
  const javaNow = run(zones.flatMap((z) => instants.map((ms) => ["offsetAt", z, ms]))) as string[];
  const dataDiffer = zones.filter((id, i) =>
    instants.some((ms, j) => Number(javaNow[i * instants.length + j]) !== parseJavaTimeZone(id).offsetMinutesAt(ms) * 60_000),
  );
  if (dataDiffer.length > 0) t.log(`left out, Java's and Node's tz data differ on their current rules (Node tz ${process.versions.tz}): ${dataDiffer.join(", ")}`);
  t.true(dataDiffer.length <= 20, `${dataDiffer.length} of ${zones.length} zones differ in their current rules: ${dataDiffer.join(", ")}`);
  const differ: string[] = [];
  zones.forEach((id, i) => {
    if (dataDiffer.includes(id)) return;
    const ours = parseJavaTimeZone(id).offsetMinutesAt(Date.UTC(1899, 11, 31, 12)) * 60_000;
    if (ours !== Number(raw[i])) differ.push(`${id}: Java ${Number(raw[i]) / 60_000} min, slf4ts ${ours / 60_000} min`);
  });
  // Java 17 keeps +01:00 as Namibia's raw offset (its tz data is compiled from the rearguard
  // form, where Namibia's +02:00 of 1994-2017 summers was daylight time). A Java that does not
  // know America/Coyhaique (new in tz 2025b) turns it into GMT: left out above.
  t.deepEqual(differ, ["Africa/Windhoek: Java 60 min, slf4ts 120 min"]);
});
