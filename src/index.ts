/**
 * slf4ts: an SLF4J-style logging facade for Node.js and an audit logger re-created from
 * Open-Xchange's `AuditLogService`. This file is the whole public surface.
 *
 * @example
 * ```ts
 * import { AuditLogService, LoggerFactory, MDC } from "slf4ts";
 * const log = LoggerFactory.getLogger("com.example.Login");
 * await AuditLogService.configure({ propertiesFile: "etc/slf4j-auditlog.properties" });
 * MDC.run({ requestId: "r-1" }, () => {
 *   log.info("login of {}", "thorben");
 *   AuditLogService.log("ox.login", { login: "thorben", ip: "::1", timestamp: new Date() });
 * });
 * ```
 * @packageDocumentation
 */
export { Level, LEVEL_IDS, levelName, parseLevel, type LevelId } from "./facade/level.js";
export { Logger, LoggerFactory } from "./facade/logger.js";
export { type LoggingEventBuilder } from "./facade/event-builder.js";
export { MDC, type MdcEntries } from "./facade/mdc.js";
export { formatMessage, type FormattedMessage } from "./facade/format.js";
export type { BackendLogger, KeyValuePair, LoggerBinding, LogRecord } from "./facade/binding.js";
export { MarkerFactory, type Marker } from "./facade/marker.js";
export { createConsoleBinding, type ConsoleBindingOptions } from "./facade/bindings/console.js";
export { nopBinding } from "./facade/bindings/nop.js";
export { createMemoryBinding, type MemoryBinding, type MemoryBindingOptions, type MemoryRecord } from "./facade/bindings/memory.js";
export { createPinoBinding, type PinoBindingOptions, type PinoLike } from "./facade/bindings/pino.js";
export { createWinstonBinding, type WinstonBindingOptions, type WinstonLike } from "./facade/bindings/winston.js";
export {
  createOpenTelemetryBinding,
  type OpenTelemetryBindingOptions,
  type OpenTelemetryLogger,
  type OpenTelemetryLoggerProvider,
} from "./facade/bindings/opentelemetry.js";
export { createLog4jsBinding, type Log4jsModule } from "./facade/bindings/log4js.js";
export {
  AuditLogService,
  AuditLogger,
  AuditLogServiceImpl,
  createAuditLogService,
  AUDIT_LOGGER_NAME,
  AUDIT_EVENT_ID_KEY,
  AUDIT_MARKER_NAME,
  PROPERTIES_ENV,
  type AuditLogFilter,
  type AuditLogServiceOptions,
  type AuditStats,
  captureAuditRecords,
} from "./audit/service.js";
export type { AuditCapture, CapturedAuditRecord } from "./audit/capture.js";
export { parseAuditLine, AuditLineSyntaxError, type ParsedAuditLine } from "./record/parse.js";
export { NULL_MARKER, type RecordFormat } from "./record/escaping.js";
export { CUT_NAME, type AuditAttributes } from "./record/attributes.js";
export { ConfigError, type ConfigProblem } from "./config/errors.js";
export { CONFIG_KEYS, KEY_PREFIX, type KeySpec } from "./config/schema.js";
export { StatusChannel, STATUS_LOGGER_NAME, type StatusCode, type StatusEvent, type StatusListener } from "./status/status.js";
export { sanitizeText } from "./sanitize/escape.js";
export { TARGET_KEYS, type TargetKeySpec } from "./config/targets.js";
export type { TargetType, TargetFormat, TargetProtocol } from "./targets/spec.js";
export { RATE_LIMITED_EVENT_ID, type TargetStats } from "./targets/stats.js";
export type { AuditEvent } from "./format/event.js";
export { formatRfc5424, type Rfc5424Options } from "./format/rfc5424.js";
export { formatRfc3164, type Rfc3164Options } from "./format/rfc3164.js";
export { formatJson } from "./format/json.js";
export { formatGelf, type GelfOptions } from "./format/gelf.js";
export { formatEcs, ECS_VERSION, compileEcsEventTable, type EcsOptions, type EcsCategorization } from "./format/ecs.js";
export { compileTemplate, type MessageTemplate } from "./format/template.js";
