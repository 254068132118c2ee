import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * Contact methods and notification rules PagerDuty would refuse: a method id used twice in one
 * user, a phone or SMS number without a valid calling code or with other than digits, an email
 * without an @, and a notification rule naming a method the user does not declare.
 */
export function contactMethods(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const user of ctx.manifest.users) {
    const err = (message: string, hint: string) => out.push(diagnostic("error", "contact-methods", `user "${user.id}": ${message}`, hint, ctx.locate(user)));
    const seen = new Set<string>();
    for (const method of user.contactMethods ?? []) {
      if (seen.has(method.id)) err(`contact method id "${method.id}" is used twice`, "give each of the user's contact methods its own id");
      seen.add(method.id);
      if (method.type === "phone" || method.type === "sms") {
        if (method.countryCode === null || !Number.isInteger(method.countryCode) || method.countryCode < 1 || method.countryCode > 999) {
          err(`${method.type} "${method.id}" needs a calling code of 1 to 3 digits (countryCode), got ${String(method.countryCode)}`, "e.g. countryCode: 49 for Germany, 1 for the US");
        }
        if (!/^[0-9]{3,15}$/.test(method.address)) {
          err(`${method.type} "${method.id}": number must be 3 to 15 digits without the calling code, spaces or signs`, 'write "15123456789", not "+49 151 2345 6789"');
        }
      }
      if (method.type === "email" && !/^[^@\s]+@[^@\s]+$/.test(method.address)) err(`email "${method.id}": ${JSON.stringify(method.address)} is not an email address`, "use an address like name@example.com");
    }
    for (const rule of user.notificationRules ?? []) {
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
