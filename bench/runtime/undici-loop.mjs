// The machine's ceiling for the runtime's HTTP work: a bare undici request loop against the same
// loopback target, through one keep-alive Agent like the runtime's, with nothing else per request
// (no scheduling, no evaluation, no store). Prints one JSON line: requests/s, CPU-s per 1,000.
//   node bench/runtime/undici-loop.mjs URL SECONDS [IN_FLIGHT] [CONNECTIONS]
// Bounded: it stops by itself after SECONDS (plus 2 s of warm-up).
import { Agent, request } from "undici";

const [url, seconds = "10", inFlight = "256", connections = "64"] = process.argv.slice(2);
const agent = new Agent({ keepAliveTimeout: 15_000, connections: Number(connections) });
const target = new URL(url);
let done = 0;
let failed = 0;
let running = true;

async function worker() {
  while (running) {
    try {
      const res = await request(target, { method: "GET", dispatcher: agent });
      await res.body.dump();
      if (res.statusCode === 200) done++;
      else failed++;
    } catch {
      failed++;
    }
  }
}

const workers = Array.from({ length: Number(inFlight) }, worker);
await new Promise((r) => setTimeout(r, 2000));
const c0 = process.cpuUsage();
const n0 = done;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const elapsed = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
const n = done - n0;
running = false;
await Promise.all(workers);
await agent.close();
process.stdout.write(JSON.stringify({ requestsPerSecond: n / elapsed, cpuPer1000: ((c.user + c.system) / 1e6 / n) * 1000, failed }) + "\n");
