import { afterAll } from "vitest";

/**
 * The main project runs its files one after another in each worker without a fresh process per
 * file (vitest's `isolate: false`): starting a process and loading the modules again for each of
 * about 240 files was a third of the run. This setup file runs before every file and puts back
 * what a file may change for the files after it in the same worker: the environment, the working
 * folder, the exit code and the process's error listeners (`wk run` in-process replaces them with
 * its own, which would swallow a later file's stray error instead of failing it).
 */
const env = { ...process.env };
const cwd = process.cwd();
const exitCode = process.exitCode;
const ERROR_EVENTS = ["uncaughtException", "unhandledRejection"];
// As a plain emitter: the process's typings take these two events only in overloads of their own.
const emitter: NodeJS.EventEmitter = process;
const listeners = new Map(ERROR_EVENTS.map((event) => [event, emitter.listeners(event)]));

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (process.env[name] !== value) process.env[name] = value;
  if (process.cwd() !== cwd) process.chdir(cwd);
  process.exitCode = exitCode;
  for (const event of ERROR_EVENTS) {
    const saved = listeners.get(event)!;
    const now = emitter.listeners(event);
    if (now.length === saved.length && now.every((listener, i) => listener === saved[i])) continue;
    emitter.removeAllListeners(event);
    for (const listener of saved) emitter.on(event, listener as (...args: unknown[]) => void);
  }
});
