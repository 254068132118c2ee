import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { EMAIL } from "./pagerduty-limits.js";
import type { RuleContext } from "./types.js";

/**
 * Calling codes whose national trunk prefix PagerDuty refuses at the start of the number (the
 * provider's check, after PagerDuty's phone number formatting guide): Germany's 0151... is 151...
 */
const TRUNK_PREFIXES: ReadonlyMap<number, string> = new Map([
  [33, "0"], [40, "0"], [44, "0"], [45, "0"], [49, "0"], [61, "0"], [66, "0"], [91, "0"], [1, "1"],
]);

/**
 * Contact methods and notification rules PagerDuty would refuse: a method id used twice in one
 * user, a phone or SMS number without a valid calling code or with other than digits, an email
 * without an @, a number that starts with its country's trunk prefix, two methods of one type and
 * address, a blank label, a push method (only the mobile app can make one), a notification rule naming a method
 * the user does not declare, and a rule listed twice.
 */
export function contactMethods(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const user of ctx.manifest.users) {
    const err = (message: string, hint: string) => out.push(diagnostic("error", "contact-methods", `user "${user.id}": ${message}`, hint, ctx.locate(user)));
    const seen = new Set<string>();
    const byAddress = new Map<string, string>();
    for (const method of user.contactMethods ?? []) {
      if (seen.has(method.id)) err(`contact method id "${method.id}" is used twice`, "give each of the user's contact methods its own id");
      seen.add(method.id);
      // PagerDuty keeps one method per type and address; the provider takes the second for the first,
      // so two resources would own one method (each relabelling it, and a delete of one removing both).
      const address = `${method.type}\u0000${method.countryCode ?? ""}\u0000${method.type === "email" ? method.address.trim().toLowerCase() : method.address}`;
      const first = byAddress.get(address);
      if (first === undefined) byAddress.set(address, method.id);
      else if (first !== method.id) {
        const what = method.type === "email" ? "address" : method.type === "push" ? "device address" : "number";
        err(`${method.type} "${method.id}" has the same ${what} as ${method.type} "${first}"; PagerDuty keeps one contact method per type and ${what}`, `keep one of them (and point its notification rules at "${first}")`);
      }
      if (method.type === "phone" || method.type === "sms") {
        if (method.countryCode === null || !Number.isInteger(method.countryCode) || method.countryCode < 1 || method.countryCode > 999) {
          err(`${method.type} "${method.id}" needs a calling code of 1 to 3 digits (countryCode), got ${String(method.countryCode)}`, "e.g. countryCode: 49 for Germany, 1 for the US");
        }
        if (!/^[0-9]{3,15}$/.test(method.address)) {
          err(`${method.type} "${method.id}": number must be 3 to 15 digits without the calling code, spaces or signs`, 'write "15123456789", not "+49 151 2345 6789"');
        } else if (method.countryCode !== null) {
          const problem = nationalPrefixProblem(method.type, method.countryCode, method.address);
          if (problem) err(`${method.type} "${method.id}": ${problem}`, `write the number as dialled from abroad after +${method.countryCode}, without the leading ${method.address[0]}`);
        }
      }
      if (method.label.trim() === "") err(`${method.type} "${method.id}" has a blank label, which PagerDuty requires`, 'name the method as PagerDuty shows it, e.g. label: "Mobile", or leave label out to use the id');
      if (method.type === "push") {
        // PagerDuty refuses a push method without the device type ("Device type can't be blank"),
        // which only the app knows and the provider under @pulumi/pagerduty has no field for.
        err(
          `push "${method.id}" cannot be created through PagerDuty's API (it needs the device type the mobile app registers), so \`wk deploy\` would fail`,
          "leave it out: the PagerDuty app adds the push method when the user signs in on a phone; page them as code by phone or SMS",
        );
      }
      // The same shape as a login email: PagerDuty refuses an address without a dotted domain.
      if (method.type === "email" && !EMAIL.test(method.address)) {
        err(`email "${method.id}": ${JSON.stringify(method.address)} is not an address PagerDuty accepts (name@domain.tld)`, "use an address like name@example.com");
      }
    }
    const rules = new Set<string>();
    for (const rule of user.notificationRules ?? []) {
      const key = `${rule.urgency} ${rule.contactMethod} ${rule.startDelayInMinutes}`;
      if (rules.has(key)) {
        // One PagerDuty rule and one Pulumi resource per urgency, method and delay: a copy would fail the deploy.
        err(
          `the ${rule.urgency}-urgency notification rule by "${rule.contactMethod}" after ${rule.startDelayInMinutes} minutes is listed twice`,
          "list each rule once (a missing startDelay is 0 minutes)",
        );
      }
      rules.add(key);
      if (!seen.has(rule.contactMethod)) {
        err(
          `a ${rule.urgency}-urgency notification rule uses contact method "${rule.contactMethod}", which the user does not declare`,
          "list the contact method in this user's contactMethods (a rule can only use the user's own methods)",
        );
      }
    }
  }
  return out;
}

/** Why PagerDuty refuses a number that repeats a national prefix after its calling code, or null. */
function nationalPrefixProblem(type: "phone" | "sms", countryCode: number, number: string): string | null {
  const prefix = TRUNK_PREFIXES.get(countryCode);
  if (prefix !== undefined && number.startsWith(prefix)) {
    return `number "${number}" starts with the national prefix ${prefix}, which PagerDuty refuses after calling code ${countryCode}`;
  }
  if (type === "sms" && countryCode === 52 && number.startsWith("1")) {
    return `Mexican SMS number "${number}" starts with 1, which PagerDuty refuses for SMS`;
  }
  return null;
}
