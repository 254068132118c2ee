export * from "./state.js";
export * from "./transition.js";
export * from "./intent.js";
export { alertKey } from "./alert-key.js";
