/**
 * The few log calls the shell makes. pino's Logger satisfies it; tests pass a recorder. The shell never
 * writes to the console: before the core's logger exists it has nothing to say.
 */
export interface ShellLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}
