import { check, monitor } from "watchkeeper";
import { website } from "../../policies/services.js";
import { webTeam } from "../../policies/teams.js";

/**
 * The example.com delegation names both nameservers, and each of them answers for the zone. A
 * nameserver that stops answering degrades resolution long before the site looks down.
 */
export const websiteDnsNameservers = monitor({
  id: "website-dns-nameservers",
  name: "Website DNS nameservers",
  owner: webTeam,
  schedule: "*/5 * * * *",
  check: check.dns({
    name: "example.com",
    recordType: "NS",
    expect: ["ns1.example.net", "ns2.example.net"],
    // ns1.example.net and ns2.example.net, asked directly by address (resolvers take addresses).
    nameservers: ["192.0.2.53", "198.51.100.53"],
    timeout: "5s",
  }),
  failureThreshold: 2,
  severity: "error",
  service: website,
  labels: { team: "web", component: "dns" },
  summary: "DNS for example.com degraded: {{message}}",
  runbook: "https://runbooks.example.com/web/dns",
});
