export { Scheduler, nextFunction, type SchedulerOptions, type TickRunner } from "./scheduler.js";
export { systemClock, type Clock, type TimerHandle } from "./clock.js";
export { CronSchedule, normaliseCron } from "./cron.js";
export { spreadOffset } from "./spread.js";
