/**
 * Redaction and shortening for the delivery side; the implementation sits in runtime/text so
 * checks and delivery share one rule (redact, then shorten, and cut on grapheme boundaries).
 */
export { redact, redactThenShorten } from "../text/redact.js";
export { truncate, truncateMarked } from "../text/truncate.js";
