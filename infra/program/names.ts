/**
 * Pulumi logical names. They derive only from the stable manifest ids, never from source files,
 * so moving a definition to another module leaves every resource (and its URN) untouched.
 */
export const logicalName = {
  user: (id: string) => `user:${id}`,
  team: (id: string) => `team:${id}`,
  teamMembership: (teamId: string, userId: string) => `team-membership:${teamId}:${userId}`,
  schedule: (id: string) => `schedule:${id}`,
  escalationPolicy: (id: string) => `escalation-policy:${id}`,
  service: (id: string) => `service:${id}`,
  eventsIntegration: (serviceId: string) => `integration:${serviceId}:events-v2`,
  maintenanceWindow: (id: string) => `maintenance-window:${id}`,
  webhookSubscription: () => "webhook-subscription:runtime",
  contactMethod: (userId: string, methodId: string) => `contact-method:${userId}:${methodId}`,
  notificationRule: (userId: string, urgency: string, methodId: string, delayMinutes: number) =>
    `notification-rule:${userId}:${urgency}:${methodId}:${delayMinutes}m`,
} as const;

/** PagerDuty resource type tokens as the Pulumi engine sees them. */
export const resourceType = {
  user: "pagerduty:index/user:User",
  team: "pagerduty:index/team:Team",
  teamMembership: "pagerduty:index/teamMembership:TeamMembership",
  schedule: "pagerduty:index/schedule:Schedule",
  escalationPolicy: "pagerduty:index/escalationPolicy:EscalationPolicy",
  service: "pagerduty:index/service:Service",
  serviceIntegration: "pagerduty:index/serviceIntegration:ServiceIntegration",
  maintenanceWindow: "pagerduty:index/maintenanceWindow:MaintenanceWindow",
  webhookSubscription: "pagerduty:index/webhookSubscription:WebhookSubscription",
  userContactMethod: "pagerduty:index/userContactMethod:UserContactMethod",
  userNotificationRule: "pagerduty:index/userNotificationRule:UserNotificationRule",
} as const;

/** The invoke token of the user lookup used for users that already exist in PagerDuty. */
export const getUserToken = "pagerduty:index/getUser:getUser";
