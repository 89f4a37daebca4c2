/**
 * Logs a person can read on a terminal and a machine can parse (`--json`: one JSON
 * object per line on stdout). Every string passes through the redactor, so a secret
 * that reaches a message (a driver echoing a connection string, say) is masked.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LogEvent {
  level: Level;
  msg: string;
  [field: string]: unknown;
}

export interface Logger {
  log(event: LogEvent): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A transient progress line on a terminal; nothing in JSON mode or when not a TTY. */
  progress(line: string): void;
  /** Ends a progress line. */
  progressDone(): void;
  readonly json: boolean;
}

const SECRET_ENV = [
  'HUBSPOT_ACCESS_TOKEN',
  'SNOWFLAKE_PASSWORD',
  'SNOWFLAKE_PRIVATE_KEY',
  'SNOWFLAKE_PRIVATE_KEY_PASS',
  'PQLSYNC_POSTGRES_URL',
  'DATABASE_URL',
  'SLACK_BOT_TOKEN',
  'PQLSYNC_ALERT_WEBHOOK_URL',
];

/** Secret values from the environment, plus the password part of any connection URL. */
export function secretsFrom(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const name of SECRET_ENV) {
    const value = env[name];
    if (!value || value.length < 4) continue;
    secrets.push(value);
    try {
      const url = new URL(value);
      if (url.password) secrets.push(decodeURIComponent(url.password), url.password);
    } catch {
      // not a URL
    }
  }
  return secrets;
}

export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  // Bearer tokens in echoed headers, whoever's they are.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1***');
}

export function createLogger(options: {
  json: boolean;
  secrets: string[];
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  quiet?: boolean;
  /** Added to every JSON line (the run id), before the event's own fields. */
  fields?: Record<string, unknown>;
}): Logger {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const tty = !options.json && Boolean((err as NodeJS.WriteStream).isTTY);
  let progressShown = false;
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value, options.secrets);
    if (Array.isArray(value)) return value.map(clean);
    if (value instanceof Date) return value.toISOString();
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    return value;
  };
  const logger: Logger = {
    json: options.json,
    log(event) {
      const e = clean(event) as LogEvent;
      if (options.json) {
        // Every line has an event a log shipper can filter on; plain messages are 'message'.
        out.write(`${JSON.stringify({ time: new Date().toISOString(), ...options.fields, ...e, event: e.event ?? 'message' })}\n`);
        return;
      }
      if (options.quiet && e.level === 'debug') return;
      if (e.level === 'debug' && !process.env.PQLSYNC_DEBUG) return;
      logger.progressDone();
      const stream = e.level === 'error' || e.level === 'warn' ? err : out;
      const prefix = e.level === 'error' ? 'error: ' : e.level === 'warn' ? 'warning: ' : '';
      stream.write(`${prefix}${e.msg}\n`);
    },
    info: (msg, fields) => logger.log({ level: 'info', msg, ...fields }),
    warn: (msg, fields) => logger.log({ level: 'warn', msg, ...fields }),
    error: (msg, fields) => logger.log({ level: 'error', msg, ...fields }),
    progress(line) {
      if (!tty) return;
      err.write(`\r\x1b[2K${redact(line, options.secrets)}`);
      progressShown = true;
    },
    progressDone() {
      if (tty && progressShown) err.write('\r\x1b[2K');
      progressShown = false;
    },
  };
  return logger;
}
