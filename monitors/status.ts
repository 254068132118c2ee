import { statusPage } from "watchkeeper";
import { checkoutErrorRate } from "./checkout/error-rate.js";
import { checkoutLatencyP99 } from "./checkout/latency.js";
import { websiteApiHealth, websiteHome, websiteLogin } from "./website/endpoints.js";
import { failedWorkflowRuns } from "./workflows/failed-runs.js";

/** The public status page (/status/public): what customers see, in their words, and nothing else. */
export const publicStatus = statusPage({
  id: "public",
  title: "Example Corp status",
  description: "How the Example Corp website, checkout and order workflows are doing.",
  groups: [
    { name: "Website", monitors: [websiteHome, websiteLogin, websiteApiHealth] },
    { name: "Checkout", monitors: [checkoutErrorRate, checkoutLatencyP99] },
    { name: "Order processing", monitors: [failedWorkflowRuns] },
  ],
});
