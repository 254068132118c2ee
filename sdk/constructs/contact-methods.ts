import type { Duration } from "../duration.js";

/** PagerDuty's contact method kinds: where a notification can go. */
export type ContactMethodType = "email" | "phone" | "sms" | "push";

interface ContactMethodBase {
  /** Kebab-case id, unique within the user: notification rules and resource names use it. */
  readonly id: string;
  /** The label PagerDuty shows, e.g. "Work" or "Mobile" (default: the id). */
  readonly label?: string;
}

export type ContactMethod =
  | (ContactMethodBase & { readonly type: "email"; readonly address: string; readonly sendShortEmail?: boolean })
  | (ContactMethodBase & { readonly type: "phone"; readonly countryCode: number; readonly number: string })
  | (ContactMethodBase & { readonly type: "sms"; readonly countryCode: number; readonly number: string })
  | (ContactMethodBase & { readonly type: "push"; readonly address: string });

export interface NotificationRule {
  /** One of the same user's contact methods. */
  readonly contactMethod: ContactMethod;
  /** Incident urgency the rule applies to. */
  readonly urgency: "high" | "low";
  /** Time after the incident is assigned, in whole minutes (default "0m"). */
  readonly startDelay?: Duration;
}

type Props<T extends ContactMethod["type"]> = Omit<Extract<ContactMethod, { type: T }>, "type">;

/** Contact methods of a user (`user({ contactMethods: [...] })`). */
export const contactMethod = {
  /** An email address. */
  email: (props: Props<"email">): ContactMethod => Object.freeze({ type: "email", ...props }),
  /** A phone number for voice calls; `number` without the country code. */
  phone: (props: Props<"phone">): ContactMethod => Object.freeze({ type: "phone", ...props }),
  /** A phone number for text messages; `number` without the country code. */
  sms: (props: Props<"sms">): ContactMethod => Object.freeze({ type: "sms", ...props }),
  /**
   * A push notification to the PagerDuty mobile app. Only the app can make one (PagerDuty needs the
   * device type it registers when the user signs in on a phone), so `wk validate` refuses it here:
   * `wk deploy` could not create it.
   */
  push: (props: Props<"push">): ContactMethod => Object.freeze({ type: "push", ...props }),
};
