/**
 * Every construct is a plain frozen object with a `kind` and a stable `id`. The place where the
 * author made it (captured from the call stack) rides along under a global symbol so the compiler
 * can point diagnostics at the right file and line; it is not enumerable and never serialized.
 */
export const SOURCE = Symbol.for("watchkeeper.source");

export interface Construct<K extends string = string> {
  readonly kind: K;
  readonly id: string;
}

export function define<T extends Construct>(value: T): T {
  Object.defineProperty(value, SOURCE, { value: new Error().stack ?? "", enumerable: false });
  const made = Object.freeze(value);
  madeListener?.(made);
  return made;
}

// The compiler finds constructs through exports, never through this: it only listens so that a
// construct made and then dropped (never exported) is reported instead of vanishing from the
// manifest. Only the compiler's sandboxed loader sets it, in a process that is thrown away.
let madeListener: ((construct: Construct) => void) | undefined;

/** Calls `listener` with each construct made from now on, until the returned function is called. */
export function listenForConstructs(listener: (construct: Construct) => void): () => void {
  madeListener = listener;
  return () => {
    if (madeListener === listener) madeListener = undefined;
  };
}

/** The raw call stack captured when a construct was made (for the compiler's diagnostics). */
export function constructStack(value: object): string | undefined {
  return (value as { [SOURCE]?: string })[SOURCE];
}

export function isConstruct(value: unknown): value is Construct {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Construct).kind === "string" &&
    typeof (value as Construct).id === "string" &&
    SOURCE in value
  );
}
