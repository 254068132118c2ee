import { afterAll } from "vitest";

/**
 * The main project runs its files one after another in each worker without a fresh process per
 * file (vitest's `isolate: false`): starting a process and loading the modules again for each of
 * about 240 files was a third of the run. This setup file runs before every file and puts back
 * what a file may change for the files after it in the same worker: the environment, the working
 * folder and the exit code.
 */
const env = { ...process.env };
const cwd = process.cwd();
const exitCode = process.exitCode;

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (process.env[name] !== value) process.env[name] = value;
  if (process.cwd() !== cwd) process.chdir(cwd);
  process.exitCode = exitCode;
});
