import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs with the service name on every line. Secrets never reach a log: the listed paths are
 * redacted wherever a caller passes a request, headers or variables by mistake.
 */
export function createLogger(service: string, options: { level?: string } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'headers.authorization',
        'req.headers.authorization',
        'headers["x-api-key"]',
        'req.headers["x-api-key"]',
        '*.secret',
        '*.password',
        '*.refreshToken',
        '*.accessToken',
        'variables.input.password',
      ],
      censor: '[redacted]',
    },
  };
  return pino(config);
}
