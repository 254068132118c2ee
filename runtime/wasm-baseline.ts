import { setFlagsFromString } from "node:v8";

/**
 * Keeps WebAssembly at V8's baseline compiler (Liftoff) in the runtime's process. undici parses
 * HTTP with llhttp compiled to WebAssembly; V8 compiles it with Liftoff first and, once its
 * functions are hot, again with TurboFan on background threads. At 10,000 monitors that second
 * compile held about 35 MB for half a second, a few hundred milliseconds after start-up, and
 * that was the runtime's peak RSS (bench/results/runtime.md). Liftoff's code parses a check's
 * short answer as fast: CPU per tick was the same within noise in back-to-back runs. The flag is
 * read when a module is compiled and when its functions would tier up, so it must be set before
 * the first request; it affects nothing but WebAssembly, and only llhttp is WebAssembly here.
 */
export function keepWebAssemblyAtBaseline(): void {
  setFlagsFromString("--liftoff-only");
}
