/** Scenario 2: scenario 1 with a Java date pattern, de_DE and Europe/Berlin. */
import type { Scenario } from "../lib/harness.js";
import { baselineLimit, slf4tsDedicated } from "../lib/subjects.js";

export const scenario: Scenario = {
  name: "java-date",
  number: 2,
  title: "Java date pattern `EEEE, d. MMMM yyyy HH:mm:ss z`, de_DE, Europe/Berlin",
  description:
    "The same records as scenario 1, the `timestamp` formatted with a Java SimpleDateFormat pattern in German and " +
    "Berlin time. Scenario 1's slf4ts configuration runs again in the same run, so the ratio is measured side by side.",
  subjects: [
    baselineLimit(),
    slf4tsDedicated({ id: "slf4ts-iso", label: "slf4ts, default ISO date (scenario 1)" }),
    slf4tsDedicated({
      id: "slf4ts-java-date",
      label: "slf4ts, `EEEE, d. MMMM yyyy HH:mm:ss z` de_DE Europe/Berlin",
      date: {
        pattern: "EEEE, d. MMMM yyyy HH:mm:ss z",
        locale: "de_DE",
        timezone: "Europe/Berlin",
        looksLike: /^[A-Za-zäöüß]+, \d{1,2}\. [A-Za-zäöüß]+ \d{4} \d\d:\d\d:\d\d \S+$/,
      },
    }),
  ],
  ratiosAgainst: ["limit", "slf4ts-iso"],
  targets: [
    { kind: "ratio", issue: 15, subject: "slf4ts-java-date", against: "slf4ts-iso", atLeast: 0.95, text: "within 5% of scenario 1" },{ kind: "ratio", subject: "slf4ts-java-date", against: "slf4ts-iso", atLeast: 0.9, text: "within 10% of scenario 1" }],
};
