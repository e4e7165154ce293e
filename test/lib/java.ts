/**
 * Runs real Java next to slf4ts: compiles a program of `test/java/` with the JDK's `javac`
 * (once per test process, into a temporary folder) against Debian's jars
 * (`/usr/share/java/logback-*.jar`, `slf4j-api.jar`), then runs it with one case per line on
 * standard input and one answer per line on standard output. `.ci/run` installs the JDK and the
 * jars; in CI (`CI=true`) a missing one fails the test instead of skipping it.
 *
 * Lines cross the pipe as JSON strings, so any text (newlines, controls, lone surrogates
 * escaped as `\uXXXX`) survives both ways.
 */
import type { ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of the Java sources (in the repository, not in dist/). */
export const JAVA_SOURCES = resolve(fileURLToPath(import.meta.url), "..", "..", "..", "..", "test", "java");

/** The jars a program may use, by short name. */
export const JARS = {
  slf4j: "/usr/share/java/slf4j-api.jar",
  logbackCore: "/usr/share/java/logback-core.jar",
  logbackClassic: "/usr/share/java/logback-classic.jar",
} as const;

/** Why Java cannot run here, or undefined when javac, java and the jars are all there. */
export function javaMissing(jars: readonly (keyof typeof JARS)[] = []): string | undefined {
  for (const tool of ["javac", "java"]) {
    const probe = spawnSync(tool, ["-version"], { encoding: "utf8" });
    if (probe.error !== undefined || probe.status !== 0) return `${tool} is not installed (Debian: openjdk-17-jdk-headless)`;
  }
  for (const jar of jars) if (!existsSync(JARS[jar])) return `${JARS[jar]} is missing (Debian: ${jar === "slf4j" ? "libslf4j-java" : "liblogback-java"})`;
  return undefined;
}

const compiled = new Map<string, string>();

/**
 * Compiles `test/java/<name>.java` (once per process) and returns a function that runs it on
 * cases: each case is sent as one JSON array per line; the program answers one JSON value per
 * line, in order. Throws with Java's error output when compiling or running fails.
 */
export function javaProgram(name: string, jars: readonly (keyof typeof JARS)[] = []): (cases: readonly (readonly unknown[])[]) => unknown[] {
  const classpath = (dir: string): string => [dir, ...jars.map((j) => JARS[j])].join(":");
  let dir = compiled.get(name);
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `slf4ts-java-${name}-`));
    const source = join(JAVA_SOURCES, `${name}.java`);
    const javac = spawnSync("javac", ["-encoding", "UTF-8", "-nowarn", "-d", dir, "-sourcepath", JAVA_SOURCES, "-cp", classpath(dir), source], { encoding: "utf8" });
    if (javac.status !== 0) throw new Error(`javac ${source} failed:\n${javac.stderr}${javac.stdout}`);
    compiled.set(name, dir);
  }
  const classes = dir;
  return (cases) => {
    const input = cases.map((c) => JSON.stringify(c)).join("\n") + "\n";
    const run = spawnSync("java", ["-Dfile.encoding=UTF-8", "-Xss8m", "-cp", classpath(classes), name], {
      input,
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
      timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`java ${name} failed (${run.status ?? run.signal}):\n${run.stderr.slice(-4000)}`);
    const lines = run.stdout.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length !== cases.length) throw new Error(`java ${name} answered ${lines.length} lines for ${cases.length} cases:\n${run.stderr.slice(-2000)}`);
    return lines.map((l) => JSON.parse(l) as unknown);
  };
}

/**
 * The program's runner, or undefined when Java cannot run here: then, in CI (`CI=true`), the
 * test fails naming what to install; elsewhere it passes with a note that it was skipped.
 */
export function javaOrSkip(t: ExecutionContext, name: string, jars: readonly (keyof typeof JARS)[] = []): ((cases: readonly (readonly unknown[])[]) => unknown[]) | undefined {
  const missing = javaMissing(jars);
  if (missing === undefined) return javaProgram(name, jars);
  if (process.env.CI === "true") t.fail(missing);
  else {
    t.log(`skipped: ${missing}`);
    t.pass();
  }
  return undefined;
}

/** An answer of ours or of Java's for one case: the text, or that the input was rejected. */
export type JavaAnswer = { readonly ok: string } | { readonly error: string };

/** How the answers of slf4ts and Java to the same cases compare. */
export interface JavaTally {
  /** Cases both answered with the same text. */
  readonly alike: number;
  /** Cases both rejected. */
  readonly bothRejected: number;
  /** Named known differences, with how often each happened. */
  readonly seen: ReadonlyMap<string, number>;
  /** The differences no known one explains, described for the test's message. */
  readonly unexplained: readonly string[];
}

/**
 * Compares our answers with Java's case by case: alike, rejected by both, a known difference
 * (`knownDifference` names it) or unexplained (`describe` says what the case was). Also writes
 * the unexplained ones to the file named by `JAVA_DIFFERENCES`, when set, for a closer look.
 */
export function tallyJavaAnswers(
  count: number,
  ours: (i: number) => JavaAnswer,
  theirs: (i: number) => JavaAnswer,
  knownDifference: (i: number) => string | undefined,
  describe: (i: number) => string,
): JavaTally {
  const seen = new Map<string, number>();
  const unexplained: string[] = [];
  let alike = 0;
  let bothRejected = 0;
  for (let i = 0; i < count; i++) {
    const mine = ours(i);
    const java = theirs(i);
    if ("error" in mine && "error" in java) bothRejected++;
    else if ("ok" in mine && "ok" in java && mine.ok === java.ok) alike++;
    else {
      const kind = knownDifference(i);
      if (kind === undefined) unexplained.push(describe(i));
      else seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
  }
  if (process.env.JAVA_DIFFERENCES !== undefined) writeFileSync(process.env.JAVA_DIFFERENCES, unexplained.join("\n"));
  return { alike, bothRejected, seen, unexplained };
}
