import test from "ava";
import { readFileSync } from "node:fs";
import { runCli } from "./lib/cli.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

test("slf4ts-audit --version, -V and version print the package's version and exit 0; --help says so", async (t) => {
  for (const flag of ["--version", "-V", "version"]) {
    const result = await runCli([flag]);
    t.is(result.code, 0, flag);
    t.is(result.out, `slf4ts-audit ${version}\n`, flag);
    t.is(result.err, "", flag);
  }
  t.regex(version, /^\d+\.\d+\.\d+/);
  const help = await runCli(["--help"]);
  t.regex(help.out, /slf4ts-audit --version prints the version/);
  const unknown = await runCli(["--versoin"]);
  t.is(unknown.code, 2);
  t.regex(unknown.err, /^slf4ts-audit: unknown command "--versoin" \(did you mean "--version"\?\)\n/);
});

test("an unknown command says which one was probably meant, and nothing when none is close", async (t) => {
  const typo = await runCli(["verfiy", "/tmp"]);
  t.is(typo.code, 2);
  t.regex(typo.err, /^slf4ts-audit: unknown command "verfiy" \(did you mean "verify"\?\)\n\nUsage: slf4ts-audit <command>/);
  t.regex((await runCli(["Query"])).err, /unknown command "Query" \(did you mean "query"\?\)/);
  const far = await runCli(["export"]);
  t.is(far.code, 2);
  t.regex(far.err, /^slf4ts-audit: unknown command "export"\n\n/);
  // An unsafe name is shown escaped, not sent to the terminal.
  t.regex((await runCli(["\u001b[31mx"])).err, /unknown command "\\u001B\[31mx"/);
});
