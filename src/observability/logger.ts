import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

/** Structured JSON logs on stdout. Authorization headers and tokens are never logged. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'athena-sessions-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // authToken: the Spark Connect endpoint's token (Session.endpoint), should any object carrying it be logged.
    redact: { paths: ['*.authorization', '*.headers.authorization', 'token', '*.token', 'authToken', '*.authToken', '*.AuthToken'], censor: '[redacted]' },
  };
  // Tests pass a destination to read the lines the gateway really writes.
  return destination === undefined ? pino(options) : pino(options, destination);
}
