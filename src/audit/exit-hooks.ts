/**
 * The process exit and termination-signal hooks of the audit services: records waiting in
 * memory (a batch, records for a failing file, a target's queue) get a last synchronous chance
 * when the process ends. Installed once, the first time a service has something to write.
 */

/** What the exit hook drains: a service with a file or targets. */
export interface ExitDrainable {
  /** The last synchronous attempt to write what waits, at process exit. */
  drainForExit(): void;
}

const liveServices = new Set<ExitDrainable>();
let exitHookInstalled = false;

/**
 * Set once the process is exiting: from then on a batch is written at once, so records logged
 * by a host's own exit handlers (which run after ours) are not left waiting for a timer. A live
 * binding, read by `log()` as a plain variable.
 */
export let exiting = false;

function drainAll(): void {
  exiting = true;
  for (const service of liveServices) service.drainForExit();
}

/**
 * Termination signals end a process without an "exit" event when nobody listens for them. To
 * write what waits in memory (a batch, records for a failing file), the service listens while
 * it has a file; when it is the only listener it writes, and raises the signal again so the
 * process ends exactly as it would have. When the host listens too, the host decides: it may go
 * on (SIGHUP to reload, a graceful shutdown that takes a while), so nothing changes then, and
 * the "exit" hook writes what waits if and when the process ends.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) === 1) {
    drainAll();
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Records waiting in memory get a last synchronous chance when the process exits.
  process.once("exit", drainAll);
  // First in line: a host's own handler (also a `once` one, which Node removes before calling
  // it) is still registered when ours runs, so we see that the host decides.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.prependListener(signal, onSignal);
}

/**
 * Drains `service` at process exit and on SIGTERM, SIGINT and SIGHUP (installing the hooks the
 * first time).
 *
 * @example
 * ```ts
 * drainAtExit(service); // it has a file or targets now
 * ```
 */
export function drainAtExit(service: ExitDrainable): void {
  liveServices.add(service);
  installExitHook();
}

/**
 * No longer drains `service` at exit (it was shut down). The hooks stay installed.
 *
 * @example
 * ```ts
 * forgetAtExit(service);
 * ```
 */
export function forgetAtExit(service: ExitDrainable): void {
  liveServices.delete(service);
}
