export type { Store, StoreLifecycle } from "./port.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.js";
export { SCHEMA_VERSION } from "./sqlite/schema.js";
export { RedisStore, DEFAULT_REDIS_PREFIX, type RedisStoreOptions } from "./redis/redis-store.js";
