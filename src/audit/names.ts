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

/**
 * In standard mode, the key of the event id among the record's key–values (the first pair; the
 * attributes follow, each its own pair).
 */
export const AUDIT_EVENT_ID_KEY = "eventId";

/** In standard mode, the name of the marker every audit record carries. */
export const AUDIT_MARKER_NAME = "AUDIT";
