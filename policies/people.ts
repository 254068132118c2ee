import { user } from "watchkeeper";

// The people who carry the pager. Emails are their PagerDuty logins; time zones drive the
// PagerDuty UI and notification rules, not the schedules (schedules carry their own zone).

/** Checkout/payments engineer in the weekly rotation. */
export const amaraOkafor = user({
  id: "amara-okafor",
  name: "Amara Okafor",
  email: "amara.okafor@example.com",
  timeZone: "Europe/Berlin",
});

/** Checkout/payments engineer in the weekly rotation. */
export const jonasWeber = user({
  id: "jonas-weber",
  name: "Jonas Weber",
  email: "jonas.weber@example.com",
  timeZone: "Europe/Berlin",
});

/** Checkout/payments engineer in the weekly rotation. */
export const priyaRaman = user({
  id: "priya-raman",
  name: "Priya Raman",
  email: "priya.raman@example.com",
  timeZone: "Europe/Berlin",
});

/** Engineering manager of checkout/payments: the second escalation step. */
export const helenaFischer = user({
  id: "helena-fischer",
  name: "Helena Fischer",
  email: "helena.fischer@example.com",
  role: "admin",
  timeZone: "Europe/Berlin",
});

/** Web engineer. */
export const marcoRossi = user({
  id: "marco-rossi",
  name: "Marco Rossi",
  email: "marco.rossi@example.com",
  timeZone: "Europe/Berlin",
});

/** Web engineer. */
export const sofiaLindqvist = user({
  id: "sofia-lindqvist",
  name: "Sofia Lindqvist",
  email: "sofia.lindqvist@example.com",
  timeZone: "Europe/Stockholm",
});

/** Web team lead: escalation step after the web schedule, and the user emergency incidents are opened as. */
export const noahBergmann = user({
  id: "noah-bergmann",
  name: "Noah Bergmann",
  email: "noah.bergmann@example.com",
  role: "admin",
  timeZone: "Europe/Berlin",
});

/** Platform engineer (workflow engine). */
export const tomasHerrera = user({
  id: "tomas-herrera",
  name: "Tomás Herrera",
  email: "tomas.herrera@example.com",
  timeZone: "Europe/Madrid",
});

/** Platform engineer (workflow engine). */
export const yukiTanaka = user({
  id: "yuki-tanaka",
  name: "Yuki Tanaka",
  email: "yuki.tanaka@example.com",
  timeZone: "Europe/Berlin",
});
