import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreConformance } from "../conformance.js";
import type { Store } from "../port.js";
import { SqliteStore } from "./sqlite-store.js";

// Compile-time check that the adapter implements the whole port.
const _implementsPort: (dir: string) => Store = (dir) => SqliteStore.open(dir);
void _implementsPort;

describeStoreConformance("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wk-store-conformance-"));
  const store = SqliteStore.open(dir, Date.now(), { webhookReplayWindowMs: 0 });
  return {
    store,
    async cleanup() {
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
