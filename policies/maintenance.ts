import { maintenanceWindow } from "watchkeeper";
import { checkoutPayments } from "./services.js";

/**
 * The payments database upgrade: PagerDuty holds incidents on the checkout service meanwhile, and
 * the runtime mutes the monitors that route to it (they still evaluate, so the status page is true).
 */
export const checkoutDbUpgrade = maintenanceWindow({
  id: "checkout-db-upgrade-2026-12",
  start: "2026-12-05T22:00:00+01:00",
  end: "2026-12-06T02:00:00+01:00",
  description: "PostgreSQL 17 upgrade of the payments database (change CHG-2291).",
  services: [checkoutPayments],
});
