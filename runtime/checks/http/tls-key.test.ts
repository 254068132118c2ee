import type { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { keyMinimumOf, weakKeyFailure } from "./tls-key.js";
import { keyOf } from "./tls-expiry.js";

const DEFAULT = { rsa: 2048, ec: 256 };

function expectOf(overrides: Partial<CheckSpecOf<"http">["expect"]>): CheckSpecOf<"http">["expect"] {
  return { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null, ...overrides };
}

describe("certificate key strength", () => {
  it("a DSA key fails whatever its size", () => {
    expect(weakKeyFailure({ type: "dsa", bits: 3072 }, DEFAULT)).toBe(
      "TLS certificate key is DSA 3072 bits; DSA keys are not accepted (use RSA of at least 2048 bits or EC of at least 256 bits)",
    );
  });

  it("an EC key under 256 bits fails, naming its curve; Ed25519 passes", () => {
    expect(weakKeyFailure({ type: "ec", bits: 224, curve: "secp224r1" }, DEFAULT)).toBe("TLS certificate key is EC 224 bits (secp224r1), below the minimum of 256 bits");
    expect(weakKeyFailure({ type: "ec", bits: 384, curve: "secp384r1" }, DEFAULT)).toBeNull();
    expect(weakKeyFailure({ type: "ed25519", bits: null }, DEFAULT)).toBeNull();
  });

  it("an RSA-PSS key is held to the RSA minimum", () => {
    expect(weakKeyFailure({ type: "rsa-pss", bits: 1024 }, DEFAULT)).toBe("TLS certificate key is RSA-PSS 1024 bits, below the minimum of 2048 bits");
  });

  it("the key is judged by default exactly when the certificate is read for its expiry", () => {
    expect(keyMinimumOf(expectOf({ tlsExpiryWithin: "14d" }))).toEqual(DEFAULT);
    expect(keyMinimumOf(expectOf({}))).toBeNull();
    expect(keyMinimumOf(expectOf({ tlsExpiryWithin: "14d", tlsMinKey: false }))).toBeNull();
    expect(keyMinimumOf(expectOf({ tlsMinKey: { rsa: 4096, ec: 384 } }))).toEqual({ rsa: 4096, ec: 384 });
  });
});

describe("reading the certificate's key", () => {
  it("a key node cannot read is not known, never a throw in the socket's handler", () => {
    const unreadable = { get publicKey(): never { throw new Error("unsupported key algorithm"); } } as unknown as X509Certificate;
    expect(keyOf({ getPeerX509Certificate: () => unreadable }, { bits: 1024 } as PeerCertificate)).toBeNull();
    expect(keyOf({ getPeerX509Certificate: () => { throw new Error("no certificate"); } }, {} as PeerCertificate)).toBeNull();
    expect(keyOf({ getPeerX509Certificate: () => undefined }, {} as PeerCertificate)).toBeNull();
  });
});
