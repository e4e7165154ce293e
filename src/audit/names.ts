/**
 * The names the audit service writes under, in a module of their own (no imports): the public
 * declarations re-export them without reaching the pipeline's types (and through them Node's).
 *
 * @module
 */

/** The logger name of audit records in standard mode (and `%logger` in dedicated mode). */
export const AUDIT_LOGGER_NAME = "com.openexchange.log.audit.AuditLogService";

/** The event id of the record that states how many records were dropped. */
export const DROPPED_EVENT_ID = "slf4ts.audit.dropped";
