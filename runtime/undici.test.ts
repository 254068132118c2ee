import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as undici from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, getGlobalDispatcher, request } from "./undici.js";

describe("undici's parts, loaded from their own files", () => {
  it("are the very objects undici's index exports", () => {
    expect(Agent).toBe(undici.Agent);
    expect(getGlobalDispatcher).toBe(undici.getGlobalDispatcher);
    expect(getGlobalDispatcher()).toBe(undici.getGlobalDispatcher());
  });

  describe("request", () => {
    let server: Server;
    let base: string;
    const seen: { method: string; url: string; body: string; agent: string }[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          seen.push({ method: req.method!, url: req.url!, body, agent: String(req.headers["user-agent"]) });
          res.writeHead(202, { "x-answer": "yes" }).end("taken");
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("sends method, path with query, headers and body, and hands back the answer", async () => {
      const answer = await request(`${base}/v2/enqueue?x=1&y=%20`, { method: "POST", headers: { "user-agent": "watchkeeper" }, body: "{}" });
      expect(answer.statusCode).toBe(202);
      expect(answer.headers["x-answer"]).toBe("yes");
      expect(await answer.body.text()).toBe("taken");
      expect(seen.at(-1)).toEqual({ method: "POST", url: "/v2/enqueue?x=1&y=%20", body: "{}", agent: "watchkeeper" });
    });

    it("goes through the dispatcher it is given", async () => {
      const agent = new Agent();
      let dispatched = 0;
      const counting = agent.compose((dispatch) => (opts, handler) => (dispatched++, dispatch(opts, handler)));
      const answer = await request(`${base}/`, { method: "PUT", body: "x", dispatcher: counting });
      await answer.body.text();
      expect(dispatched).toBe(1);
      await agent.close();
    });

    it("refuses what undici's own request refuses, with the same errors", async () => {
      for (const url of ["ftp://example.test/", "not a url"]) {
        const ours = await Promise.resolve()
          .then(() => request(url, { method: "POST", body: "" }))
          .catch((error: unknown) => error as Error);
        const theirs = await Promise.resolve()
          .then(() => undici.request(url, { method: "POST", body: "" }))
          .catch((error: unknown) => error as Error);
        expect(ours).toBeInstanceOf(Error);
        expect((ours as Error).constructor).toBe((theirs as Error).constructor);
        expect((ours as Error).message).toBe((theirs as Error).message);
      }
    });

    it("stops when its signal does", async () => {
      const stop = new AbortController();
      stop.abort(new Error("shutting down"));
      await expect(request(`${base}/`, { method: "POST", body: "", signal: stop.signal })).rejects.toThrow();
    });
  });
});
