/**
 * Writes docs/keys.md, the configuration reference, from the key table (src/config/keys.ts):
 * `npm run docs:keys`. test/keys.test.ts fails when the file differs from what this makes, so
 * the reference cannot drift from the code.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_KEYS, KEY_PREFIX, TARGET_KEYS } from "../src/config/keys.js";

/** A table cell: one line, `|` escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/** Plain text as Markdown: the characters Markdown would take for markup are escaped. */
function prose(text: string): string {
  return text.replace(/[\\`*_<>[\]|]/g, "\\$&");
}

/** Code in a cell: `` `x` ``, or *(empty)* for the empty string. */
function code(text: string): string {
  if (text === "") return "*(empty)*";
  const ticks = text.includes("`") ? "``" : "`";
  return cell(`${ticks}${text}${ticks}`);
}

/**
 * The text of docs/keys.md.
 *
 * @example
 * ```ts
 * writeFileSync("docs/keys.md", renderKeysDoc());
 * ```
 */
export function renderKeysDoc(): string {
  const lines: string[] = [
    "# Configuration keys",
    "",
    "<!-- Generated from src/config/keys.ts by `npm run docs:keys`; do not edit by hand (test/keys.test.ts compares). -->",
    "",
    `Every key starts with \`${KEY_PREFIX}\`. The file is read as Java \`.properties\` (comments`,
    "with `#` or `!`, `=`/`:`/space separators, continuation lines, `\\uXXXX` escapes), in UTF-8.",
    "An empty value means the default (except `mask.names`, where empty masks nothing).",
    "[etc/slf4j-auditlog.properties](../etc/slf4j-auditlog.properties) lists every key with its default.",
    "",
    "Every key is applied by a reload of the watched file (the *reloads* column), within about",
    "1.5 s of the last change; a change that would cost records or protection (the mode,",
    "`file.location`, integrity turned off, fewer archives, weaker masking, shorter records, `level`",
    "in standard mode, a target removed or moved) is applied only once the file is still the same",
    "2 s later. A bad value is reported with its key, value, line and what was expected, and the",
    "last good configuration stays in force.",
    "",
    "## Keys of the audit logger",
    "",
    "Keys marked *ours* are not in Open-Xchange's original; a file without them gets the default.",
    "",
    "| key | default | accepted values, example | reloads |",
    "|---|---|---|---|",
  ];
  for (const spec of CONFIG_KEYS) {
    lines.push(`| \`${spec.name}\`${spec.ours ? " *(ours)*" : ""} | ${code(spec.defaultValue)} | ${cell(spec.values)} | ${spec.reloads ? "yes" : "no"} |`);
  }
  lines.push("");
  for (const spec of CONFIG_KEYS) {
    lines.push(`### \`${spec.name}\``, "", prose(spec.doc), "", `Default: ${code(spec.defaultValue)}. Example: ${code(spec.example)}.`, "");
  }
  lines.push(
    "## Target options",
    "",
    "Any number of named targets receive the same records besides the file (or standard mode):",
    `\`${KEY_PREFIX}target.<name>.<option>\`, with a name of letters, digits, \`_\` and \`-\` (at most 64).`,
    "A target whose options change is rebuilt by a reload; one whose options stay the same keeps its connection.",
    "",
    "| option | default | meaning | example |",
    "|---|---|---|---|",
  );
  for (const spec of TARGET_KEYS) {
    lines.push(`| \`${spec.option}\` | ${spec.defaultValue === "" ? "" : code(spec.defaultValue)} | ${prose(spec.doc)} | ${code(spec.example)} |`);
  }
  lines.push("");
  return lines.join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL("../../docs/keys.md", import.meta.url));
  writeFileSync(target, renderKeysDoc());
  console.log(`wrote ${target}`);
}
