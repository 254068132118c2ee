import { afterEach, describe, expect, it } from "vitest";
import { clientAddress } from "../../runtime/http/http-io.js";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const hour = { kind: "every", every: "1h" } as const;
const monitors = [monitorSpec({ id: "panic", schedule: hour, check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Panic" } as never })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("behind a trusted proxy the emergency page's rate limit counts the address the proxy saw", () => {
  it("takes the proxy's own entry (the last X-Forwarded-For address), which a client cannot choose", () => {
    const req = (xff: string | string[]) => ({ headers: { "x-forwarded-for": xff }, socket: { remoteAddress: "10.1.1.1" } }) as never;
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    expect(clientAddress(req("6.6.6.6, 203.0.113.7"), true)).toBe("203.0.113.7");
    expect(clientAddress(req(["6.6.6.6", "203.0.113.7"]), true)).toBe("203.0.113.7");
    expect(clientAddress(req("203.0.113.7"), true)).toBe("203.0.113.7");
    expect(clientAddress(req("6.6.6.6, 203.0.113.7"), false)).toBe("10.1.1.1");
  });

  it("refuses the sixth password guess in a minute even when every guess invents a new X-Forwarded-For", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["EMERGENCY_PASSWORD"], env: { EMERGENCY_PASSWORD: "emergency-password-redteam", WK_TRUST_PROXY: "1" } });
    const form = await (await fetch(`${rt.url}/emergency`)).text();
    const token = /name="form_token" value="([^"]+)"/.exec(form)![1]!;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${rt.url}/emergency`, {
        method: "POST",
        // What a proxy forwards when the client made up its own header: the proxy's entry comes last.
        headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": `10.9.9.${i}, 198.51.100.20` },
        body: new URLSearchParams({ form_token: token, monitor: "panic", message: "guess", password: `guess-${i}` }).toString(),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});
