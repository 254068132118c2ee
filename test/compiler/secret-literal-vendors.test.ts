import { describe, expect, it } from "vitest";
import { literalsIn, maskCredentials } from "../../cli/rules/no-secret-literals.js";

// Webhook URLs and tokens of the chat tools and services alerts go to (or scripts call) hold the
// credential in the URL or the token itself: written into a module, they reach the manifest, the
// plan comment, the API and every page that names the target.
const LEAKS: Array<[string, string, string]> = [
  ["a Discord webhook URL", 'url: "https://discord.com/api/webhooks/112233445566778899/Zq3vT9xLw0pK2mN7sR4uY1bC6dF8gH5jA0eI3oU9yT2rE4wQ7"', "Zq3vT9xLw0pK2mN7"],
  ["a Microsoft Teams webhook URL", 'url: "https://contoso.webhook.office.com/webhookb2/0f0f0f0f-1234-5678-9abc-def012345678@0f0f0f0f-1234-5678-9abc-def012345678/IncomingWebhook/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/0f0f0f0f-1234-5678-9abc-def012345678"', "a1b2c3d4e5f6a7b8c9d0"],
  ["a Telegram bot token", 'url: "https://api.telegram.org/bot123456789:AAHk9xT3vLw0pK2mN7sR4uY1bC6dF8gH5jA/sendMessage"', "AAHk9xT3vLw0pK2mN7sR"],
  ["a Google API key", 'const key = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";', "SyA1b2C3d4E5f6G7"],
  ["a Stripe secret key", 'headers: { authorization: "sk_live_51Hq2xT3vLw0pK2mN7sR4uY1b" }', "51Hq2xT3vLw0pK2m"],
  ["a GitLab token", 'const token = "glpat-xT3vLw0pK2mN7sR4uY1b";', "xT3vLw0pK2mN7sR4"],
  ["an npm token", 'const token = "npm_xT3vLw0pK2mN7sR4uY1bC6dF8gH5jA0eI3oU";', "xT3vLw0pK2mN7sR4"],
];

describe("no-secret-literals: vendors' webhook URLs and tokens", () => {
  for (const [what, line, secretPart] of LEAKS) {
    it(`finds ${what}, and neither the finding nor the plan's mask repeats it`, () => {
      const found = literalsIn("monitors/leaky.ts", `export const x = {\n  ${line}\n};\n`);
      expect(found.map((d) => d.message).join(" | ")).toContain(what);
      expect(found[0]).toMatchObject({ file: "monitors/leaky.ts", line: 2, severity: "error" });
      expect(JSON.stringify(found)).not.toContain(secretPart);
      expect(maskCredentials(line)).not.toContain(secretPart);
    });
  }

  it("leaves look-alikes alone: a Discord or Teams page, a ratio, a word starting sk_", () => {
    const source = [
      'runbook: "https://discord.com/channels/1122/3344"',
      'docs: "https://learn.microsoft.com/office/webhooks"',
      'summary: "ratio 12:34 of 123456789:abc"',
      'const sk_live_count = 3;',
      'const npm_install = "npm install";',
    ].join("\n");
    expect(literalsIn("monitors/fine.ts", source)).toEqual([]);
  });
});
