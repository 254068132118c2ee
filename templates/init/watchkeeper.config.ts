import { config } from "watchkeeper";

/** This project's settings: where monitors and policies live, and the names of its secrets. */
export default config({
  name: "my-monitors",
  monitors: ["monitors/**/*.ts"],
  policies: ["policies/**/*.ts"],
  // Names only. The runtime reads the values from its environment (or mounted files).
  secrets: ["PAGERDUTY_ROUTING_KEY"],
  defaults: { timezone: "UTC" },
  statusPage: { title: "My services" },
});
