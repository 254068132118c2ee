import { resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from "testcontainers";

/** Docker (or another container runtime) is optional on build machines; say so when it is absent. */
async function dockerAvailable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const available = await dockerAvailable();
let container: StartedTestContainer | undefined;

afterAll(async () => {
  await container?.stop();
});

if (!available) {
  describe("runtime image", () => {
    test.skip("skipped: Docker is not available (no container runtime found by testcontainers)", () => {});
  });
  console.warn("runtime image test skipped: Docker is not available");
} else {
  describe("runtime image", () => {
    test("builds, runs as a non-root user and answers /healthz", { timeout: 900_000 }, async () => {
      const image = await GenericContainer.fromDockerfile(resolve(import.meta.dirname, "../..")).build("watchkeeper-test", { deleteOnExit: true });
      container = await image.withExposedPorts(8080).withWaitStrategy(Wait.forHttp("/healthz", 8080)).start();
      const response = await fetch(`http://${container.getHost()}:${container.getMappedPort(8080)}/healthz`);
      expect(response.status).toBe(200);
      const whoami = await container.exec(["id", "-u"]);
      expect(whoami.output.trim()).not.toBe("0");
    });
  });
}
