/**
 * The command line's mistakes in the CLI's own words: unknown options name the one probably
 * meant, missing values and values given to flags say so, a value outside a fixed set names the
 * closest one; and `tail` takes a folder as `query` does.
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parseArgs } from "node:util";
import { main } from "../src/cli/main.js";
import { checkOptions } from "../src/cli/options.js";
import { captureIo, runCli } from "./lib/cli.js";
import { buildFixture } from "./lib/cli-fixture.js";
import { tempDir, waitFor } from "./lib/helpers.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const usage = (command: string, message: string): string => `slf4ts-audit ${command}: ${message}\nRun slf4ts-audit ${command} --help for the options.\n`;

test("the installed command: query --sinse 1h says unknown option --sinse; did you mean --since?, exit 2", (t) => {
  const dir = tempDir(t);
  const r = spawnSync(process.execPath, [MAIN, "query", "--sinse", "1h", "logs"], { cwd: dir, encoding: "utf8", timeout: 30_000 });
  t.is(r.status, 2);
  t.is(r.stdout, "");
  t.is(r.stderr, usage("query", "unknown option --sinse; did you mean --since?"));
});

test("unknown options of query, tail, verify and serve name the option probably meant, and nothing when none is close", async (t) => {
  const cases: ReadonlyArray<readonly [string[], string, string]> = [
    [["query", "--unitl", "1h", "x"], "query", "unknown option --unitl; did you mean --until?"],
    [["query", "x", "--evnt=ox.*"], "query", "unknown option --evnt; did you mean --event?"],
    [["query", "x", "--Limit", "3"], "query", "unknown option --Limit; did you mean --limit?"],
    [["query", "x", "--colour"], "query", "unknown option --colour"],
    [["tail", "--folow", "x"], "tail", "unknown option --folow; did you mean --follow?"],
    [["tail", "--max-line-byte", "1MB", "x"], "tail", "unknown option --max-line-byte; did you mean --max-line-bytes?"],
    [["tail", "-x", "x"], "tail", "unknown option -x"],
    [["tail", "-fx", "x"], "tail", "unknown option -x"],
    [["verify", "--chain-onyl", "x"], "verify", "unknown option --chain-onyl; did you mean --chain-only?"],
    [["verify", "--kye", "k", "x"], "verify", "unknown option --kye; did you mean --key?"],
    [["verify", "--signature", "x"], "verify", "unknown option --signature"],
    [["serve", "--prot", "8470", "x"], "serve", "unknown option --prot; did you mean --port?"],
    [["serve", "--tokn", "x", "x"], "serve", "unknown option --tokn; did you mean --token?"],
  ];
  for (const [args, command, message] of cases) {
    const r = await runCli(args);
    t.is(r.code, 2, args.join(" "));
    t.is(r.err, usage(command, message), args.join(" "));
    t.is(r.out, "");
  }
  // An option name that is terminal control is shown escaped.
  t.is((await runCli(["query", "--\u001b[2Jx", "y"])).err, usage("query", "unknown option --\\u001B[2Jx"));
});

test("a value option without its value, a flag with one, and a value outside a fixed set", async (t) => {
  const cases: ReadonlyArray<readonly [string[], string, string]> = [
    [["query", "x", "--since"], "query", "--since needs a value"],
    [["query", "--since", "-1h", "x"], "query", '--since needs a value, not -1h (a value that starts with "-" is written --since=VALUE)'],
    [["tail", "x", "-n"], "tail", "-n needs a value"],
    [["tail", "-n", "-5", "x"], "tail", '-n needs a value, not -5 (a value that starts with "-" is written -nVALUE)'],
    [["tail", "--follow=yes", "x"], "tail", "--follow takes no value"],
    [["query", "x", "--format", "jsnl"], "query", '--format "jsnl": expected table, jsonl or csv; did you mean jsonl?'],
    [["query", "x", "--format", "xml"], "query", '--format "xml": expected table, jsonl or csv'],
    [["tail", "x", "--format=rwa"], "tail", '--format "rwa": expected raw or jsonl; did you mean raw?'],
    [["verify", "--json=1", "x"], "verify", "--json takes no value"],
  ];
  for (const [args, command, message] of cases) {
    const r = await runCli(args);
    t.is(r.code, 2, args.join(" "));
    t.is(r.err, usage(command, message), args.join(" "));
  }
  // What parseArgs accepts still works: grouped and attached short options, --opt=value, "--".
  const dir = tempDir(t);
  await buildFixture(dir);
  const grouped = await runCli(["tail", "-n2", "logs/audit.log"], { cwd: dir });
  t.is(grouped.code, 0, grouped.err);
  t.is(grouped.out.split("\n").length, 3);
  t.is((await runCli(["query", "--limit=1", "--format=jsonl", "--", "logs"], { cwd: dir })).code, 0);
});

test("tail takes a folder: the active file and archives of the one log in it, as query finds them", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const byFile = await runCli(["tail", "-n", "6", "logs/audit.log"], { cwd: dir });
  const byFolder = await runCli(["tail", "-n", "6", "logs"], { cwd: dir });
  t.is(byFolder.code, 0, byFolder.err);
  t.is(byFolder.out, byFile.out);
  t.is(byFolder.out.split("\n").length, 7, "six records, from the active file and an archive");

  // -f on the folder follows its active file.
  const follow = captureIo({ cwd: dir });
  const done = main(["tail", "-f", "-n", "0", "--poll", "10", "logs"], follow.io);
  await new Promise((r) => setTimeout(r, 100));
  appendFileSync(join(dir, "logs", "audit.log"), "ox.new, login=zed\n");
  t.true(await waitFor(() => follow.out() === "ox.new, login=zed\n"), follow.out() + follow.err());
  follow.abort();
  t.is(await done, 0);

  // Two logs in one folder: tail cannot choose.
  writeFileSync(join(dir, "logs", "other.log"), "ox.other\n");
  const two = await runCli(["tail", "logs"], { cwd: dir });
  t.is(two.code, 2);
  t.is(two.err, usage("tail", `the folder ${join(dir, "logs")} holds 2 logs (audit.log, other.log): name the active file of the one to tail`));
  // An empty folder holds no log.
  mkdirSync(join(dir, "empty"));
  const empty = await runCli(["tail", "empty"], { cwd: dir });
  t.is(empty.code, 3);
  t.is(empty.err, `slf4ts-audit tail: cannot read ${join(dir, "empty")} (no audit log in the folder)\n`);
});

test("checkOptions and parseArgs agree on every command line: what one refuses the other refuses (so parseArgs' own message is never what the user reads)", (t) => {
  const options = { since: { type: "string" }, event: { type: "string", multiple: true }, lines: { type: "string", short: "n" }, follow: { type: "boolean", short: "f" }, json: { type: "boolean" } } as const;
  const piece = fc.oneof(
    fc.constantFrom("--since", "--event", "--lines", "--follow", "--json", "-n", "-f", "-fn", "-nf", "-n5", "-fn5", "-x", "-fx", "--sinse", "--", "-", "--since=", "--follow=", "--json=1", "--lines=-3", "-n-3", "--help", "-h"),
    fc.constantFrom("1h", "-1h", "logs", "x=y", "--", "-"),
    fc.string({ maxLength: 4 }),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 6 }), (args) => {
      let checked: string | undefined;
      try {
        checkOptions(args, options);
      } catch (error) {
        checked = (error as Error).message;
      }
      let parsed: string | undefined;
      try {
        parseArgs({ args, allowPositionals: true, options: { ...options, help: { type: "boolean", short: "h" } } });
      } catch (error) {
        parsed = (error as Error).message;
      }
      if ((checked === undefined) !== (parsed === undefined)) {
        throw new Error(`${JSON.stringify(args)}: checkOptions ${checked ?? "accepts"}; parseArgs ${parsed ?? "accepts"}`);
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
