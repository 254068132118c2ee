export * from "./duration.js";
export * from "./secret.js";
export * from "./result.js";
