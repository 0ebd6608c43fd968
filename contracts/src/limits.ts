/**
 * Size limits, in two levels.
 *
 * Domain rules are answered by the messaging decider, not by the wire schemas: the public
 * contract fixes the order of `send:message` checks (conversation exists, caller is a
 * participant, blocks, audio, and only then content), so a non-participant sending a
 * 20,000-character text must hear "Not authorized to send message", which a schema check at
 * the edge would pre-empt.
 *
 * Wire caps only bound memory and message sizes at the edge (socket, REST, Kafka). They sit
 * well above the domain rules, so anything they reject is malformed rather than merely
 * disallowed, and rejecting it first breaks no ordering a client could observe.
 */

// Domain rules: enforced by the decider, in the contract's order of checks.
export const MESSAGE_TEXT_MAX_CHARS = 10_000;
export const MESSAGE_MEDIA_MAX = 10;
export const READ_BATCH_MAX = 500;

// Edge rules without an ordering constraint, so the schemas enforce them directly.
export const CLIENT_MESSAGE_ID_MAX = 64;
export const USER_NAME_MAX_CHARS = 100;
export const GROUP_NAME_MAX_CHARS = 100;
export const MESSAGES_PAGE_DEFAULT = 50;
export const MESSAGES_PAGE_MAX = 100;
export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;

// Wire caps.
export const WIRE_TEXT_MAX_CHARS = 65_536;
export const WIRE_MEDIA_MAX = 50;
/** Ids are parsed as bounded strings so that a non-ObjectId can still be answered "not found". */
export const WIRE_ID_MAX_CHARS = 256;
export const WIRE_ID_LIST_MAX = 1_000;
export const WIRE_NESTING_MAX_DEPTH = 16;
export const URL_MAX_CHARS = 2_048;
export const FILENAME_MAX_CHARS = 255;
export const SOCKET_ID_MAX_CHARS = 128;
export const GATEWAY_ID_MAX_CHARS = 128;
export const TRACE_HEADER_MAX_CHARS = 512;
