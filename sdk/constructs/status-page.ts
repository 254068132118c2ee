import { define, type Construct } from "./definition.js";
import type { Monitor } from "./monitor.js";

/** One section of a public status page: a heading customers recognise and the monitors behind it. */
export interface StatusPageGroup {
  /** What customers call this part of the product ("Checkout", "API"). */
  name: string;
  monitors: Monitor[];
}

export interface StatusPageProps {
  /** Stable kebab-case id: the page is served at `/status/<id>`. */
  id: string;
  /** Heading of the page (default: the project's status page title). */
  title?: string;
  /** One line under the title ("Current status of Acme's services"). */
  description?: string;
  groups: StatusPageGroup[];
}
export type StatusPage = Construct<"statusPage"> & StatusPageProps;

/**
 * A public status page, defined as code: it shows only the monitors it names, in customers' words
 * (Operational, Degraded, Outage, Maintenance), never raw errors, messages, hostnames or URLs.
 */
export function statusPage(props: StatusPageProps): StatusPage {
  return define({ kind: "statusPage", ...props });
}
