import { DEFAULT_PAGERDUTY_API_URL, DEFAULT_PAGERDUTY_EVENTS_URL } from "./destinations.js";
import { DEFAULT_ROUTING_KEYS_FILE } from "./routing-keys.js";

/** Where delivery sends and finds its keys; `wk run` reads them from the environment. */
export interface DeliverySettings {
  pagerDutyEventsUrl: string;
  pagerDutyApiUrl: string;
  routingKeysFile: string;
  serviceIdsFile: string;
  smtpTimeoutMs: number;
  /** A replica's send lease beyond the send's own timeout (scale-out delivery): the time to record its outcome. */
  deliveryLeaseMarginMs: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  pagerDutyEventsUrl: DEFAULT_PAGERDUTY_EVENTS_URL,
  pagerDutyApiUrl: DEFAULT_PAGERDUTY_API_URL,
  routingKeysFile: DEFAULT_ROUTING_KEYS_FILE,
  serviceIdsFile: ".watchkeeper/service-ids.json",
  smtpTimeoutMs: 120_000,
  deliveryLeaseMarginMs: 30_000,
};

/**
 * Reads delivery settings from an environment (the command passes process.env): WK_PAGERDUTY_EVENTS_URL,
 * WK_PAGERDUTY_API_URL, WK_ROUTING_KEYS_FILE, WK_PAGERDUTY_SERVICE_IDS_FILE, WK_SMTP_TIMEOUT_MS,
 * WK_DELIVERY_LEASE_MARGIN_MS.
 */
export function deliverySettingsFromEnv(env: Record<string, string | undefined>): DeliverySettings {
  const d = DEFAULT_DELIVERY_SETTINGS;
  return {
    pagerDutyEventsUrl: env["WK_PAGERDUTY_EVENTS_URL"] || d.pagerDutyEventsUrl,
    pagerDutyApiUrl: env["WK_PAGERDUTY_API_URL"] || d.pagerDutyApiUrl,
    routingKeysFile: env["WK_ROUTING_KEYS_FILE"] || d.routingKeysFile,
    serviceIdsFile: env["WK_PAGERDUTY_SERVICE_IDS_FILE"] || d.serviceIdsFile,
    smtpTimeoutMs: Number(env["WK_SMTP_TIMEOUT_MS"]) || d.smtpTimeoutMs,
    deliveryLeaseMarginMs: Number(env["WK_DELIVERY_LEASE_MARGIN_MS"]) || d.deliveryLeaseMarginMs,
  };
}
