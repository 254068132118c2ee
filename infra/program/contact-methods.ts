import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { ContactMethodSpec, UserSpec } from "../../sdk/manifest/schema.js";
import { lineageOptions } from "./lineage.js";
import { logicalName } from "./names.js";

/** The provider's type names for the manifest's contact method kinds. */
export const CONTACT_METHOD_TYPE: Record<ContactMethodSpec["type"], string> = {
  email: "email_contact_method",
  phone: "phone_contact_method",
  sms: "sms_contact_method",
  push: "push_notification_contact_method",
};

/**
 * A user's contact methods and notification rules, when the project manages them. Users who
 * declare none are left alone: their methods stay whatever they set in PagerDuty.
 */
export function declareContactMethods(user: UserSpec, userId: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const resources: pulumi.Resource[] = [];
  const methods = new Map<string, pagerduty.UserContactMethod>();
  const renamedFrom = (nameOf: (userId: string) => string) => lineageOptions(opts, (user.previousIds ?? []).map(nameOf));
  for (const method of user.contactMethods ?? []) {
    const created = new pagerduty.UserContactMethod(
      logicalName.contactMethod(user.id, method.id),
      {
        userId,
        type: CONTACT_METHOD_TYPE[method.type],
        address: method.address,
        label: method.label,
        ...(method.countryCode !== null ? { countryCode: method.countryCode } : {}),
        ...(method.type === "email" ? { sendShortEmail: method.sendShortEmail } : {}),
      },
      renamedFrom((old) => logicalName.contactMethod(old, method.id)),
    );
    methods.set(method.id, created);
    resources.push(created);
  }
  for (const rule of user.notificationRules ?? []) {
    const method = methods.get(rule.contactMethod);
    const spec = user.contactMethods?.find((m) => m.id === rule.contactMethod);
    // The contact-methods rule refuses a rule naming a method the user does not declare.
    if (!method || !spec) throw new Error(`user ${user.id}: notification rule names unknown contact method ${rule.contactMethod}`);
    const nameOf = (id: string) => logicalName.notificationRule(id, rule.urgency, rule.contactMethod, rule.startDelayInMinutes);
    resources.push(
      new pagerduty.UserNotificationRule(
        nameOf(user.id),
        {
          userId,
          urgency: rule.urgency,
          startDelayInMinutes: rule.startDelayInMinutes,
          contactMethod: { type: CONTACT_METHOD_TYPE[spec.type], id: method.id },
        },
        renamedFrom(nameOf),
      ),
    );
  }
  return resources;
}
