/**
 * Resolves with the first SIGINT or SIGTERM, for long-running commands (`hub start`,
 * `agent start`, `sim`) that close cleanly on Ctrl-C or a service manager's stop.
 *
 * @example
 * const signal = await processStopSignal(); // 'SIGTERM'
 */
export function processStopSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      done(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
