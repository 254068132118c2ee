import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { DEFAULT_TLS_MIN_KEY } from "../../../sdk/manifest/constants.js";
import type { CertificateKey } from "./tls-expiry.js";

type Expect = CheckSpecOf<"http">["expect"];

export interface KeyMinimum {
  rsa: number;
  ec: number;
}

/**
 * The minimum a check holds the certificate's key to, or null when it does not judge the key. A
 * monitor that says nothing has its key judged whenever its certificate is read (`tlsExpiryWithin`),
 * the way a certificate is judged on its expiry: a weak key is as much a certificate problem.
 */
export function keyMinimumOf(expect: Expect): KeyMinimum | null {
  if (expect.tlsMinKey === false) return null;
  if (expect.tlsMinKey !== undefined) return expect.tlsMinKey;
  return expect.tlsExpiryWithin !== null ? DEFAULT_TLS_MIN_KEY : null;
}

/** One readable line when the key is weaker than `min`: the key's type and size and the minimum it missed. */
export function weakKeyFailure(key: CertificateKey, min: KeyMinimum): string | null {
  const below = (minimum: number): string | null =>
    key.bits !== null && key.bits < minimum ? `TLS certificate key is ${keyWords(key)}, below the minimum of ${minimum} bits` : null;
  switch (key.type) {
    case "rsa":
    case "rsa-pss":
      return below(min.rsa);
    case "ec":
      return below(min.ec);
    case "dsa":
      // No size makes DSA acceptable: browsers and the CA/Browser Forum refuse it for TLS certificates.
      return `TLS certificate key is ${keyWords(key)}; DSA keys are not accepted (use RSA of at least ${min.rsa} bits or EC of at least ${min.ec} bits)`;
    default:
      // Ed25519 and Ed448 come in one strong size each.
      return null;
  }
}

/** `RSA 2048 bits`, `EC 256 bits (prime256v1)`, `ED25519`: the key as a result's details show it. */
export function keyWords(key: CertificateKey): string {
  const type = key.type === "rsa-pss" ? "RSA-PSS" : key.type.toUpperCase();
  return `${type}${key.bits === null ? "" : ` ${key.bits} bits`}${key.curve ? ` (${key.curve})` : ""}`;
}
