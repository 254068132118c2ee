import { describe, expect, it } from "vitest";
import { createSecretSource } from "../../runtime/secrets.js";

describe("the runtime's own secrets are redacted even when the project does not declare them", () => {
  it("lists PAGERDUTY_WEBHOOK_SECRET and WATCHKEEPER_API_TOKEN among the values the logger and results redact", () => {
    const secrets = createSecretSource({
      declared: ["SHOP_KEY"],
      env: { SHOP_KEY: "shop-key-value", PAGERDUTY_WEBHOOK_SECRET: "pd-webhook-hmac-key", WATCHKEEPER_API_TOKEN: "api-token-value" },
      now: () => 0,
    });
    expect(secrets.values().sort()).toEqual(["api-token-value", "pd-webhook-hmac-key", "shop-key-value"]);
    // Not declared, so not reported missing: the project may not use PagerDuty webhooks at all.
    expect(secrets.missing()).toEqual([]);
  });
});
