import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Structured JSON logs on stdout. Authorization headers and tokens are never logged. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'athena-sessions-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.authorization', '*.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  });
}
