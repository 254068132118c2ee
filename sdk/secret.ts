/** A reference to a secret by name. The value is resolved only by the runtime (environment or mounted file). */
export interface SecretRef {
  readonly secret: string;
}

const SECRET_NAME_RE = /^[A-Z][A-Z0-9_]*$/;

/** The longest secret name: far beyond any real one, short enough for every message that names it. */
export const SECRET_NAME_MAX = 128;

/** References a secret by name, e.g. `secret("PAGERDUTY_ROUTING_PAYMENTS")`. Never holds the value. */
export function secret(name: string): SecretRef {
  return Object.freeze({ secret: name });
}

export function isSecretRef(value: unknown): value is SecretRef {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { secret?: unknown }).secret === "string" &&
    Object.keys(value).length === 1
  );
}

export function isValidSecretName(name: string): boolean {
  return SECRET_NAME_RE.test(name) && name.length <= SECRET_NAME_MAX;
}

/** A value that is either given literally or read from a secret at run time. */
export type Secretish = string | SecretRef;
