import * as pulumi from "@pulumi/pulumi";
import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";
import { declareEscalationPolicies } from "./escalation-policies.js";
import { declareMaintenanceWindows } from "./maintenance.js";
import { declarePeople } from "./people.js";
import { Refs } from "./refs.js";
import { declareSchedules } from "./schedules.js";
import { declareServices } from "./services.js";
import { declareWebhookSubscription } from "./webhook-subscription.js";

export interface OnCallOptions {
  /** An explicit provider; by default the default provider reads `pagerduty:*` config and PAGERDUTY_* env. */
  provider?: pulumi.ProviderResource;
}

export interface OnCallStack {
  /** Every resource declared, so callers (the planner) can wait for their registration. */
  resources: pulumi.Resource[];
  /**
   * The stack outputs: routing keys (secret) by service id, PagerDuty service IDs by service id (the
   * REST incident channel opens incidents on them), the deployed manifest's hash, and the deployed
   * manifest itself: the stack is the record of what is deployed, so every plan's base is read from
   * it rather than from a CI cache that can be evicted. The manifest holds no secret values.
   */
  outputs: {
    routingKeys: pulumi.Output<Record<string, string>>;
    serviceIds: pulumi.Output<Record<string, string>>;
    manifestHash: string;
    /** The deployed manifest as canonical JSON, exactly the bytes its hash was computed over. */
    deployedManifest: string;
  };
}

/**
 * Declares the PagerDuty side of a compiled manifest. Reads the manifest and nothing else. Each
 * resource is made from one definition and the definitions it refers to; the plan relies on that
 * to run this program only over what changed (cli/plan/oncall-slice.ts: a new kind of reference
 * goes into its `refsOf`).
 */
export function declareOnCall(manifest: Manifest, options: OnCallOptions = {}): OnCallStack {
  const opts: pulumi.CustomResourceOptions = options.provider ? { provider: options.provider } : {};
  const refs = new Refs();
  // Order matters only for the references: people -> schedules -> policies -> services.
  const people = declarePeople(manifest, refs, opts);
  const schedules = declareSchedules(manifest, refs, opts);
  const policies = declareEscalationPolicies(manifest, refs, opts);
  const services = declareServices(manifest, refs, opts);
  const windows = declareMaintenanceWindows(manifest, refs, opts);
  const webhook = declareWebhookSubscription(manifest, opts);
  const keys: Record<string, pulumi.Output<string>> = {};
  for (const [serviceId, key] of [...services.integrationKeys].sort(([a], [b]) => a.localeCompare(b))) keys[serviceId] = key;
  const serviceIds: Record<string, pulumi.Output<string>> = {};
  for (const service of manifest.services) serviceIds[service.id] = refs.services.get(service.id)!;
  return {
    resources: [...people, ...schedules, ...policies, ...services.resources, ...windows, ...webhook],
    outputs: {
      // The runtime needs these to send events; they are credentials, so the output is secret.
      routingKeys: pulumi.secret(pulumi.all(keys)),
      serviceIds: pulumi.all(serviceIds),
      manifestHash: manifest.hash,
      // Made when read: a deploy records it in the stack; a plan's mock runs never read it (the
      // canonical form of a 1,000-monitor manifest is 14 MB of garbage per run).
      get deployedManifest() {
        return canonicalJson(manifest, 0);
      },
    },
  };
}
