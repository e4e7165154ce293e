import test from "ava";
import { javaMissing, javaProgram } from "./lib/java.js";

// The pipe to real Java that the fidelity tests (date patterns, logback layout, SLF4J message
// formatting, java.util.Properties) stand on: any text must cross it unchanged both ways.
test("a Java program receives and answers any text unchanged", (t) => {
  const missing = javaMissing();
  if (missing !== undefined) {
    if (process.env.CI === "true") t.fail(missing);
    else t.log(`skipped: ${missing}`);
    if (process.env.CI !== "true") t.pass();
    return;
  }
  const echo = javaProgram("Echo");
  const texts = ["", "plain", 'quote " and \\ backslash', "line\nbreak\r\ttab", "ü€😀", "\u0000\u001f\u007f\u2028", "\ud800 lone"];
  t.deepEqual(echo(texts.map((s) => [s])), texts);
});
