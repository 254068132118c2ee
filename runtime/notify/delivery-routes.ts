import { runtimeSettingsOf, type Manifest } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { apiAccessOf, guardRead } from "../http/api-auth.js";
import type { SignedOutSessions } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import { sendJson, type Router } from "../http/router.js";
import type { Logger } from "pino";
import type { SecretSource } from "./contract.js";
import type { DeliveryQueue } from "./delivery-queue.js";
import { registerSilenceRoutes } from "./silences-api.js";
import type { Silences } from "./silences.js";

/** Delivery's API routes in either mode: silences and `/api/deliveries`. */
export function registerDeliveryRoutes(
  router: Router,
  deps: { manifest: Manifest; secrets: SecretSource; routingKeys: () => string[]; store: Pick<DeliveryQueue, "deliveriesForAlert" | "recentDeliveries">; silences: Silences; clock: () => number; logger: Logger; tokenGuesses?: TokenGuesses; signedOut?: SignedOutSessions },
): void {
  const access = apiAccessOf(deps.manifest, (name: string) => deps.secrets.get(name), undefined, deps.tokenGuesses, deps.signedOut);
  const { maxSilence } = runtimeSettingsOf(deps.manifest);
  registerSilenceRoutes(router, { silences: deps.silences, clock: deps.clock, access, maxSilence, maxSilenceMs: durationMs(maxSilence), logger: deps.logger, secretValues: () => knownSecrets(deps) });
  router.add("GET", "/api/deliveries", guardRead(access, async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const key = url.searchParams.get("dedupKey");
    sendJson(res, 200, { deliveries: key ? await deps.store.deliveriesForAlert(key) : await deps.store.recentDeliveries(100) });
  }));
}

/** Every secret value delivery knows: the declared ones, the runtime's own (the API token) and the routing keys. */
function knownSecrets(deps: { manifest: Manifest; secrets: SecretSource; routingKeys: () => string[] }): string[] {
  const own = "values" in deps.secrets && typeof deps.secrets.values === "function" ? (deps.secrets.values as () => string[])() : [];
  const declared = deps.manifest.secrets.map((name) => deps.secrets.get(name)).filter((v): v is string => v !== undefined);
  return [...new Set([...declared, ...own, ...deps.routingKeys()])];
}
