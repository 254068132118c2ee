import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendHttp, type HttpCall } from "./http-send.js";

const SECRET = "s3cr3t-routing-key-0042";
const call = (url: string): HttpCall => ({ method: "POST", url, headers: {}, body: "{}" });

describe("sendHttp: what a channel's URL can be", () => {
  let server: Server;
  let base: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on("end", () => res.writeHead(202).end("{}"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("refuses a URL that is not http or https at once, not retried, and never names it", async () => {
    const urls = [
      `ftp://${SECRET}@127.0.0.1/`,
      `javascript:alert('${SECRET}')`,
      `file:///etc/${SECRET}`,
      `data:text/plain,${SECRET}`,
      `http://[::1/${SECRET}`,
      `http://exa mple.test/${SECRET}`,
      "",
      SECRET,
    ];
    const before = requests;
    for (const url of urls) {
      const result = await sendHttp(call(url), AbortSignal.timeout(5_000), Date.now());
      expect({ url, ok: result.ok, retryable: result.ok ? null : result.failure.retryable }).toEqual({ url, ok: false, retryable: false });
      expect(JSON.stringify(result)).not.toContain(SECRET);
    }
    expect(requests).toBe(before);
  });

  it("sends to an http URL; a refused connection is retryable and does not name the URL", async () => {
    expect(await sendHttp(call(`${base}/enqueue`), AbortSignal.timeout(5_000), Date.now())).toMatchObject({ ok: true, status: 202 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await sendHttp(call(`http://127.0.0.1:${port}/${SECRET}`), AbortSignal.timeout(5_000), Date.now());
    expect(refused).toMatchObject({ ok: false, failure: { retryable: true } });
    expect(JSON.stringify(refused)).not.toContain(SECRET);
  });
});
