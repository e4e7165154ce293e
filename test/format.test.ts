import test from "ava";
import { formatMessage, renderArgument } from "../src/facade/format.js";

// Expected values follow SLF4J 2.x org.slf4j.helpers.MessageFormatter.
const cases: Array<[string, unknown[], string]> = [
  ["Hello {}", ["world"], "Hello world"],
  ["{} and {}", ["a", "b"], "a and b"],
  ["no placeholders", ["surplus"], "no placeholders"],
  ["{} {} {}", ["only one"], "only one {} {}"],
  ["{}{}", [1, 2], "12"],
  ["escaped \\{} then {}", ["x"], "escaped {} then x"],
  ["double \\\\{} here", ["x"], "double \\x here"],
  ["untouched \\{} without args", [], "untouched \\{} without args"],
  ["null {} undefined {}", [null, undefined], "null null undefined undefined"],
  ["array {}", [[1, [2, "three"], null]], "array [1, [2, three], null]"],
  ["bigint {} bool {}", [10n, true], "bigint 10 bool true"],
  ["date {}", [new Date(Date.UTC(2016, 5, 10, 10, 31, 10, 5))], "date 2016-06-10T10:31:10.005Z"],
  ["{", ["x"], "{"],
  ["{ }", ["x"], "{ }"],
  ["brace {{}}", ["x"], "brace {x}"],
];

for (const [pattern, args, expected] of cases) {
  test(`formats ${JSON.stringify(pattern)} with ${args.length} argument(s)`, (t) => {
    const result = formatMessage(pattern, args);
    t.is(result.message, expected);
    t.is(result.error, undefined);
  });
}

test("a trailing Error is the throwable, not a placeholder argument (SLF4J >= 1.8)", (t) => {
  const error = new Error("boom");
  const result = formatMessage("failed for {} because {}", ["ann", error]);
  t.is(result.message, "failed for ann because {}");
  t.is(result.error, error);
});

test("an Error that is not last is an ordinary argument", (t) => {
  const result = formatMessage("{} then {}", [new TypeError("first"), "second"]);
  t.is(result.message, "TypeError: first then second");
  t.is(result.error, undefined);
});

test("a lone Error argument is the throwable and the pattern stays untouched", (t) => {
  const error = new Error("x");
  const result = formatMessage("value: {}", [error]);
  t.is(result.message, "value: {}");
  t.is(result.error, error);
});

test("renderArgument survives cycles and throwing toString", (t) => {
  const cyclic: unknown[] = [1];
  cyclic.push(cyclic);
  t.is(renderArgument(cyclic), "[1, [...]]");
  const hostile = {
    toString(): string {
      throw new Error("no");
    },
  };
  t.is(renderArgument(hostile), "[FAILED toString()]");
  t.is(renderArgument({ a: 1, b: "x" }), "{ a: 1, b: 'x' }");
  t.is(renderArgument({ toString: () => "custom" }), "custom");
  t.is(renderArgument(Symbol("s")), "Symbol(s)");
});
