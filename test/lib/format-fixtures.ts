/** The audit event the formatter tests start from (each test varies it with spreads). */
import { Level } from "../../src/facade/level.js";
import type { AuditEvent } from "../../src/format/event.js";

/** A login event at a fixed instant, with two attributes. */
export const base: AuditEvent = {
  timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  level: Level.INFO,
  eventId: "ox.login",
  attributes: [
    ["login", "alice"],
    ["ip", "192.0.2.1"],
  ],
  hostname: "mail1",
  appName: "slf4ts",
  procId: "4242",
};
