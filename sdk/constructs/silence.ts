import { define, type Construct } from "./definition.js";
import type { Monitor } from "./monitor.js";
import type { Service } from "./oncall.js";

export interface SilenceProps {
  id: string;
  /** ISO 8601 date-times. */
  start: string;
  end: string;
  comment?: string;
  monitors?: Monitor[];
  services?: Service[];
  labels?: Record<string, string>;
}
export type Silence = Construct<"silence"> & SilenceProps;

/** Mutes notifications for matching alerts between start and end (alerts still evaluate). */
export function silence(props: SilenceProps): Silence {
  return define({ kind: "silence", ...props });
}

export interface MaintenanceWindowProps {
  id: string;
  start: string;
  end: string;
  description?: string;
  services: Service[];
}
export type MaintenanceWindow = Construct<"maintenanceWindow"> & MaintenanceWindowProps;

/** A PagerDuty maintenance window on services; the runtime also mutes their monitors meanwhile. */
export function maintenanceWindow(props: MaintenanceWindowProps): MaintenanceWindow {
  return define({ kind: "maintenanceWindow", ...props });
}
