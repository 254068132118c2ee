import { team } from "watchkeeper";
import {
  amaraOkafor,
  helenaFischer,
  jonasWeber,
  marcoRossi,
  noahBergmann,
  priyaRaman,
  sofiaLindqvist,
  tomasHerrera,
  yukiTanaka,
} from "./people.js";

/** Owns the checkout/payments microservice. */
export const paymentsTeam = team({
  id: "payments",
  name: "Payments",
  description: "Checkout and payment processing microservice.",
  members: [amaraOkafor, jonasWeber, priyaRaman, { user: helenaFischer, role: "manager" }],
});

/** Owns the public website. */
export const webTeam = team({
  id: "web",
  name: "Web",
  description: "Public website, login and the web API.",
  members: [marcoRossi, sofiaLindqvist, { user: noahBergmann, role: "manager" }],
});

/** Owns the workflow engine and shared infrastructure. */
export const platformTeam = team({
  id: "platform",
  name: "Platform",
  description: "Workflow engine, Prometheus and shared infrastructure.",
  members: [tomasHerrera, yukiTanaka, { user: helenaFischer, role: "manager" }],
});
