import { schedule, type Restriction } from "watchkeeper";
import { amaraOkafor, jonasWeber, marcoRossi, noahBergmann, priyaRaman, sofiaLindqvist, tomasHerrera, yukiTanaka } from "./people.js";
import { paymentsTeam, platformTeam, webTeam } from "./teams.js";

// Hand-offs are Monday 09:00 Berlin time: everyone is at work, and the outgoing person can brief
// the incoming one. 2026-01-05 is a Monday; turns are counted from that date forever after.
const MONDAY_0900_BERLIN = "2026-01-05T09:00:00+01:00";

/** Checkout/payments: one engineer on call for a whole week, around the clock. */
export const checkoutWeekly = schedule({
  id: "checkout-weekly",
  name: "Checkout weekly rotation",
  description: "24/7 weekly rotation of the payments team; hand-off Monday 09:00.",
  timeZone: "Europe/Berlin",
  layers: [
    {
      name: "Weekly",
      start: MONDAY_0900_BERLIN,
      handoff: MONDAY_0900_BERLIN,
      rotation: "1w",
      users: [amaraOkafor, jonasWeber, priyaRaman],
    },
  ],
  teams: [paymentsTeam],
});

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"] as const;
const BUSINESS_HOURS: Restriction[] = WEEKDAYS.map((day) => ({ weekly: { day, start: "09:00", duration: "9h" } }));

/**
 * Web: a daily rotation during business hours (Mon-Fri 09:00-18:00) on top of a weekly 24/7
 * fallback layer. Upper layers override lower ones, so the business-hours person answers in the
 * day and the fallback person at night and at weekends: no hour is left uncovered.
 */
export const webBusinessHours = schedule({
  id: "web-business-hours",
  name: "Web business hours",
  description: "Daily business-hours rotation with a weekly out-of-hours fallback.",
  timeZone: "Europe/Berlin",
  layers: [
    {
      name: "Out of hours (24/7 fallback)",
      start: MONDAY_0900_BERLIN,
      handoff: MONDAY_0900_BERLIN,
      rotation: "1w",
      users: [noahBergmann, marcoRossi, sofiaLindqvist],
    },
    {
      name: "Business hours",
      start: MONDAY_0900_BERLIN,
      handoff: MONDAY_0900_BERLIN,
      rotation: "1d",
      users: [marcoRossi, sofiaLindqvist],
      restrictions: BUSINESS_HOURS,
    },
  ],
  teams: [webTeam],
});

/** Platform: weekly 24/7 rotation for the workflow engine. */
export const platformWeekly = schedule({
  id: "platform-weekly",
  name: "Platform weekly rotation",
  timeZone: "Europe/Berlin",
  layers: [
    {
      name: "Weekly",
      start: MONDAY_0900_BERLIN,
      handoff: MONDAY_0900_BERLIN,
      rotation: "1w",
      users: [tomasHerrera, yukiTanaka],
    },
  ],
  teams: [platformTeam],
});
