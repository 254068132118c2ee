import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verifies PagerDuty's `X-PagerDuty-Signature`: one or more comma-separated `v1=<hex>` values
 * (several while a secret rotates), each an HMAC-SHA256 of the raw body. Compared in constant time.
 */
export function verifyPagerDutySignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  let matched = false;
  for (const part of header.split(",")) {
    const [version, hex] = part.trim().split("=", 2);
    if (version !== "v1" || !hex || !/^[0-9a-f]+$/i.test(hex) || hex.length !== expected.length * 2) continue;
    // Check every candidate so the time taken does not depend on which one matched.
    if (timingSafeEqual(Buffer.from(hex, "hex"), expected)) matched = true;
  }
  return matched;
}

/** Signs a body the way PagerDuty does (tests and the recording servers use it). */
export function pagerDutySignature(rawBody: Buffer | string, secret: string): string {
  return `v1=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHmac("sha256", "watchkeeper-compare").update(given).digest();
  const b = createHmac("sha256", "watchkeeper-compare").update(expected).digest();
  return timingSafeEqual(a, b);
}
