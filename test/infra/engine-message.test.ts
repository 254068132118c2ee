import { describe, expect, it } from "vitest";
import { engineMessage, redact } from "../../infra/automation/deploy-failure.js";

describe("a Pulumi engine error reads once", () => {
  it("keeps each line of a CommandError once, and only the last lines", () => {
    const error = new Error(
      [
        "Command failed with exit code 1: pulumi up --yes",
        "spawn /opt/pulumi/bin/pulumi ENOENT",
        "",
        "spawn /opt/pulumi/bin/pulumi ENOENT",
        "  spawn /opt/pulumi/bin/pulumi ENOENT  ",
      ].join("\n"),
    );
    expect(engineMessage(error)).toBe("Command failed with exit code 1: pulumi up --yes\nspawn /opt/pulumi/bin/pulumi ENOENT");
    const long = new Error(Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n"));
    expect(engineMessage(long, 3)).toBe("line 27\nline 28\nline 29");
  });

  it("is redacted after it is shortened only by whole lines, so no secret is cut in half", () => {
    const text = engineMessage(new Error("error: 401 for token u+abcdefghijklmnop\nerror: 401 for token u+abcdefghijklmnop"));
    expect(redact(text, ["u+abcdefghijklmnop"])).toBe("error: 401 for token [secret]");
  });
});
