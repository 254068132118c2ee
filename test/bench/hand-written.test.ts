import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handWrittenPart } from "../../bench/hand-written.js";

describe("handWrittenPart", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-hand-written-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps everything from the heading's line on, and nothing of the generated tables above it", async () => {
    const file = join(dir, "results.md");
    await writeFile(file, "# Bench\n\n| a |\n|---|\n### not this\n## Where it went\n\nfound\n\n### 2026-12-05\nmore\n");
    expect(await handWrittenPart(file, "## Where it went")).toBe("## Where it went\n\nfound\n\n### 2026-12-05\nmore\n");
    // "## " alone: the first second-level heading, not a third-level one.
    expect(await handWrittenPart(file, "## ")).toBe("## Where it went\n\nfound\n\n### 2026-12-05\nmore\n");
  });

  it("is empty for a missing file, and whole when the file starts with the heading", async () => {
    expect(await handWrittenPart(join(dir, "absent.md"), "## ")).toBe("");
    const file = join(dir, "notes.md");
    await writeFile(file, "## Notes\ntext\n");
    expect(await handWrittenPart(file, "## Notes")).toBe("## Notes\ntext\n");
  });

  it("refuses a file it would overwrite sections of: one without the heading, or one it cannot read", async () => {
    const file = join(dir, "renamed.md");
    await writeFile(file, "# Bench\n## Elsewhere\ntext\n");
    await expect(handWrittenPart(file, "## Notes")).rejects.toThrow(/renamed\.md has no line starting with "## Notes"/);
    // A heading named only inside a line is not a heading.
    await writeFile(file, "see ## Notes below\n");
    await expect(handWrittenPart(file, "## Notes")).rejects.toThrow(/no line starting with/);
    // A folder where the file should be: an error, not an empty part.
    await expect(handWrittenPart(dir, "## ")).rejects.toThrow(/EISDIR/);
  });
});
