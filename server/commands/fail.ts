/** Errors people can fix end the command with one line, not a stack trace. */
export function fail(message: string, exitCode = 2): never {
  process.stderr.write(`ipp-collector: ${message}\n`);
  process.exit(exitCode);
}
