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
  t.regex(unknown.err, /unknown command "--versoin"/);
});
