export { SqliteStore, RECENT_RESULTS, type ResultRow } from "./sqlite-store.js";
export { StoreAlertControl } from "./alert-control.js";
export { rollOut, type RolloutReport } from "./rollout.js";
export { SCHEMA_VERSION } from "./schema.js";
