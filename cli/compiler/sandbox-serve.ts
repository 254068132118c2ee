import type { LoadRequest } from "./sandbox-protocol.js";

/**
 * The child's side of the sandbox protocol, shared by every loader the sandbox runs (the
 * compiler's module loader, `wk test --unit`'s test loader, `wk plan`'s summary previews): wait
 * for the parent's one request, report progress, answer once, every message tagged with the run's
 * nonce. What the answer means is the loader's business; the parent alone judges it.
 */
export function serveSandboxRequest<R extends object>(
  purpose: string,
  work: (request: LoadRequest, progress: (file: string) => void) => Promise<R>,
  failed: (error: unknown) => R,
): void {
  // Kept before any project code runs: a module replacing process.send cannot intercept the answer.
  const send = process.send?.bind(process) as ((message: unknown) => void) | undefined;
  if (!send) {
    process.stderr.write(`this bundle is run by \`wk\` to ${purpose} in a sandbox; it does nothing on its own\n`);
    process.exitCode = 1;
    return;
  }
  process.once("message", (request: LoadRequest) => {
    const post = (message: Record<string, unknown>) => send({ ...message, nonce: request.nonce });
    work(request, (file) => post({ type: "loading", file })).then(
      (result) => post({ type: "result", ...result }),
      (error: unknown) => post({ type: "result", ...failed(error) }),
    );
  });
}
