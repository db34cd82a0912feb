/**
 * A per-instance logger. The core never logs to a global; pass one in the config to see
 * what a node does. Every method receives a preformatted message.
 */
export interface Logger {
  /** Detailed tracing of state changes and message handling. */
  debug(msg: string): void;
  /** Notable events: elections, leader changes, conf changes, snapshots. */
  info(msg: string): void;
  /** Something unexpected that the node recovered from. */
  warn(msg: string): void;
  /** An error the node cannot recover from by itself. */
  error(msg: string): void;
}

const noop = (): void => undefined;

/** A logger that discards everything; the default. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
