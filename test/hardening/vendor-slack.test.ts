import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SLACK_TEXT_KEPT, SlackServer } from "../support/vendors/index.js";

/**
 * The Slack fake refuses what an incoming webhook refuses: the documented body shape and Block Kit
 * limits, answered with Slack's plain-text error codes and status codes. The valid body is the
 * example from Slack's "Sending messages using incoming webhooks" page.
 */
const slack = new SlackServer({ perMinute: 1_000 });
const HOOK = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

beforeAll(async () => {
  await slack.start();
});
afterAll(async () => {
  await slack.stop();
});

async function post(body: unknown, path = HOOK): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const response = await fetch(`${slack.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: response.status, text: await response.text(), retryAfter: response.headers.get("retry-after") };
}

const documented = {
  text: "Danny Torrence left a 1 star review for your property.",
  blocks: [
    { type: "section", text: { type: "mrkdwn", text: "Danny Torrence left the following review for your property:" } },
    {
      type: "section",
      block_id: "section567",
      text: { type: "mrkdwn", text: "<https://example.com|Overlook Hotel> \n :star: \n Doors had too many axe holes, guest in room 237 was far too rowdy, whole place felt stuck in the 1920s." },
      accessory: { type: "image", image_url: "https://example.com/hotel.jpg", alt_text: "Haunted hotel image" },
    },
    { type: "section", block_id: "section789", fields: [{ type: "mrkdwn", text: "*Average Rating*\n1.0" }] },
  ],
};

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("incoming webhook", () => {
  test("the documented message with blocks, and a plain text message, are answered 200 ok", async () => {
    expect(await post(documented)).toMatchObject({ status: 200, text: "ok" });
    expect(await post({ text: "Hello, world." })).toMatchObject({ status: 200, text: "ok" });
    expect(slack.rejections()).toEqual([]);
  });

  test("blocks at their limits are accepted: 50 blocks, a 3000-character section, a 150-character header", async () => {
    const blocks = [{ type: "header", text: { type: "plain_text", text: "h".repeat(150) } }, section("s".repeat(3000)), ...Array.from({ length: 48 }, () => ({ type: "divider" }))];
    expect(await post({ text: "limits", blocks }), JSON.stringify(slack.rejections())).toMatchObject({ status: 200, text: "ok" });
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ["a section whose text is 3001 characters", { text: "t", blocks: [section("s".repeat(3001))] }, "invalid_blocks", /blocks\[0\]\.text\.text: must NOT have more than 3000 characters/],
    ["a context element of 3001 characters", { text: "t", blocks: [{ type: "context", elements: [{ type: "mrkdwn", text: "c".repeat(3001) }] }] }, "invalid_blocks", /blocks\[0\]\.elements\[0\]\.text: must NOT have more than 3000 characters/],
    ["a header of 151 characters", { text: "t", blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }] }, "invalid_blocks", /150/],
    ["a header in mrkdwn", { text: "t", blocks: [{ type: "header", text: { type: "mrkdwn", text: "*h*" } }] }, "invalid_blocks", /blocks\[0\]\.text\.type/],
    ["51 blocks", { text: "t", blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) }, "invalid_blocks", /more than 50 items/],
    ["a section with neither text nor fields", { text: "t", blocks: [{ type: "section" }] }, "invalid_blocks", /blocks\[0\]/],
    ["11 section fields", { text: "t", blocks: [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) }] }, "invalid_blocks", /fields/],
    ["a block type Slack does not know", { text: "t", blocks: [{ type: "banner" }] }, "invalid_blocks", /blocks\[0\]\.type/],
    ["blocks each within its limit, holding more than 12,000 characters of text in all", { text: "t", blocks: Array.from({ length: 5 }, () => section("s".repeat(2500))) }, "msg_blocks_too_long", /12000/],
    ["no text and no blocks", { username: "bot" }, "no_text", /neither text nor blocks/],
    ["blank text", { text: "  \n" }, "no_text", /neither text nor blocks/],
    ["text that is not a string", { text: 42 }, "invalid_payload", /text: must be string/],
    ["a body that is not JSON", "text=hello", "invalid_payload", /not JSON/],
  ];
  test.each(invalid)("%s is refused with 400 and Slack's error code", async (_name, body, code, reason) => {
    expect(await post(body)).toMatchObject({ status: 400, text: code });
    expect(slack.received.at(-1)!.problems.join("\n")).toMatch(reason);
  });

  test("text over 40,000 characters is accepted and Slack keeps the first 40,000", async () => {
    expect(await post({ text: "x".repeat(SLACK_TEXT_KEPT + 10) })).toMatchObject({ status: 200, text: "ok" });
    expect((slack.messages().at(-1)!["text"] as string).length).toBe(SLACK_TEXT_KEPT);
  });

  test("a revoked webhook is 404 no_service, an archived channel 410, a prohibited post 403", async () => {
    const path = (name: string) => `/services/T1/B1/${name}`;
    slack.setWebhookState(path("revoked"), "revoked");
    slack.setWebhookState(path("archived"), "archived");
    slack.setWebhookState(path("prohibited"), "prohibited");
    expect(await post({ text: "hi" }, path("revoked"))).toMatchObject({ status: 404, text: "no_service" });
    expect(await post({ text: "hi" }, path("archived"))).toMatchObject({ status: 410, text: "channel_is_archived" });
    expect(await post({ text: "hi" }, path("prohibited"))).toMatchObject({ status: 403, text: "action_prohibited" });
    expect(await post({ text: "hi" }, "/not-a-webhook")).toMatchObject({ status: 404, text: "no_service" });
  });

  test("past the per-webhook limit Slack answers 429 with Retry-After", async () => {
    const limited = new SlackServer({ perMinute: 2 });
    await limited.start();
    try {
      const send = () => fetch(`${limited.url}${HOOK}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "hi" }) });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      const third = await send();
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("1");
    } finally {
      await limited.stop();
    }
  });
});
