import { describe, expect, it } from "vitest";
import { isSecretParamName, redactUrl, redactUrlsIn } from "../../runtime/redact-url.js";

describe("URL redaction", () => {
  it("drops userinfo and the values of secret-looking query parameters, keeping the rest as written", () => {
    expect(redactUrl("https://user:pa55word@host/x?api_key=K3Y&x=1")).toBe("https://host/x?api_key=[redacted]&x=1");
    expect(redactUrl("http://a@b@host:8/p")).toBe("http://host:8/p");
    expect(redactUrl("https://h/x?X-Amz-Signature=abc&X-Amz-Credential=c&page=2")).toBe("https://h/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&page=2");
  });

  it("redacts credentials carried in fragments (OAuth implicit flow) too", () => {
    expect(redactUrl("https://h/cb#access_token=abc&token_type=bearer&state=s")).toBe("https://h/cb#access_token=[redacted]&token_type=[redacted]&state=s");
  });

  it("treats parameter names case-insensitively, in snake, kebab and camel case", () => {
    for (const name of ["token", "TOKEN", "api_key", "apiKey", "APIKEY", "secret", "password", "passwd", "pwd", "auth", "signature", "sig", "access_token", "sessionId", "credential", "client_secret", "x-api-key", "api%5Fkey"]) {
      expect(isSecretParamName(name), name).toBe(true);
    }
    for (const name of ["page", "q", "from", "to", "limit", "monkey", "x"]) expect(isSecretParamName(name), name).toBe(false);
  });

  it("knows the other names credentials go by: passphrases, passcodes, PINs, HMACs, pre-shared keys, short pw and creds", () => {
    for (const name of ["passphrase", "db_passphrase", "passcode", "meetingPasscode", "pin", "user_pin", "hmac", "X-Hmac-Sha256", "psk", "wifi_psk", "pw", "admin-pw", "cred", "creds", "userCreds"]) {
      expect(isSecretParamName(name), name).toBe(true);
    }
    expect(redactUrl("https://h/join?meeting=42&passcode=918273&pw=s3cret&hmac=ab12cd")).toBe("https://h/join?meeting=42&passcode=[redacted]&pw=[redacted]&hmac=[redacted]");
    for (const name of ["pinned", "spin", "shopping", "pwa", "credit", "incredible", "passenger"]) expect(isSecretParamName(name), name).toBe(false);
  });

  it("cleans URLs inside free text and serialised JSON without breaking the JSON", () => {
    const json = JSON.stringify({ message: 'GET https://user:pa55word@host/x?api_key=K3Y&x=1 failed "quoted"\nnext http://h/?token=abc' });
    const out = redactUrlsIn(json);
    expect(out).not.toContain("pa55word");
    expect(out).not.toContain("K3Y");
    expect(out).not.toContain("abc");
    expect(JSON.parse(out)).toEqual({ message: 'GET https://host/x?api_key=[redacted]&x=1 failed "quoted"\nnext http://h/?token=[redacted]' });
  });
});
