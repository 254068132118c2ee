/**
 * What a store port returns: the embedded SQLite adapter answers at once, the Redis adapter with a
 * promise. Callers always `await`, so the same code runs over either.
 */
export type Awaitable<T> = T | Promise<T>;
