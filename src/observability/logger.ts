import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

export interface LoggerOptions {
  /** Human-readable lines through pino-pretty (a worker-thread transport), for a terminal. */
  pretty?: boolean | undefined;
}

/** Structured JSON logs on stdout. Authorization headers and tokens are never logged. */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  loggerOptions: LoggerOptions = {},
): Logger {
  const options = {
    level,
    base: { service: 'athena-sessions-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // authToken: the Spark Connect endpoint's token (Session.endpoint), should any object carrying it be logged.
    redact: {
      paths: [
        '*.authorization',
        '*.headers.authorization',
        'token',
        '*.token',
        'authToken',
        '*.authToken',
        '*.AuthToken',
      ],
      censor: '[redacted]',
    },
  };
  if (loggerOptions.pretty === true && destination === undefined) {
    // The per-operation lines carry their facts as fields; pretty-printed, they read as one line each.
    return pino({
      ...options,
      base: undefined,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true },
      },
    });
  }
  // Tests pass a destination to read the lines the gateway really writes.
  return destination === undefined ? pino(options) : pino(options, destination);
}
