/**
 * An offline Snowflake for tests: an in-process HTTP server answering what snowflake-sdk 3
 * sends (login-request, query-request, result chunk downloads, telemetry, session delete),
 * running the SQL on an in-memory DuckDB.
 *
 * Differences from the real service, on purpose or by necessity:
 * - SQL runs on DuckDB (quoted upper-case names resolve because DuckDB matches names without
 *   regard to case); Snowflake-only functions do not run. `alter session …` is accepted and ignored.
 * - Result column names are upper-cased (what Snowflake does to unquoted names), so the
 *   connector's folding back to lower case is exercised.
 * - Results use queryResultFormat 'json': the first `inlineRows` rows come in the response,
 *   the rest as chunks of `chunkRows` rows served by this server (the real service serves them
 *   from cloud storage, encrypted with the qrmk, gzipped).
 * - Login checks a password, or an RS256 JWT against `publicKey` (key-pair auth); failures
 *   answer like Snowflake: HTTP 200, success false, code 390100 / 390144.
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';
import { DuckDBEngine, daysOf, microsOf, type EngineResult } from './duckdb-engine.ts';

export interface SnowflakeFakeOptions {
  /** The user that may log in. */
  user: string;
  /** Password for authenticator SNOWFLAKE. */
  password?: string;
  /** PEM public key for authenticator SNOWFLAKE_JWT. */
  publicKey?: string;
  /** Rows sent inline in the query response (the rest as chunks). */
  inlineRows?: number;
  /** Rows per downloadable chunk. */
  chunkRows?: number;
  /** Fault injection: a message returned for a statement fails it (a compilation error) before it runs. */
  failStatement?: (sql: string) => string | undefined | Promise<string | undefined>;
}

/**
 * What DuckDB lacks of the Snowflake the dialect writes, so the shipped models run: the
 * timestamp type names, DATEADD, BOOLOR_AGG, TRY_TO_DOUBLE, DATE_PART(epoch_second, …).
 */
const SNOWFLAKE_SHIMS = [
  'create type timestamp_ntz as timestamp',
  'create type timestamp_ltz as timestamptz',
  `create macro dateadd(unit, n, ts) as case lower(unit)
     when 'day' then ts + to_days(cast(n as integer)) when 'hour' then ts + to_hours(cast(n as bigint))
     when 'minute' then ts + to_minutes(cast(n as bigint)) when 'second' then ts + to_seconds(cast(n as bigint)) end`,
  'create macro boolor_agg(x) as bool_or(x)',
  'create macro try_to_double(x) as try_cast(x as double)',
  'create macro snowflake_epoch_second(ts) as cast(floor(epoch_us(ts) / 1000000) as bigint)',
];

/**
 * The textual rewrites the shims cannot do: NUMBER(p, s), DATE_PART(epoch_second, …) and
 * LISTAGG(…) WITHIN GROUP (ORDER BY …), which DuckDB spells string_agg(… ORDER BY …).
 */
function snowflakeToDuckDB(sql: string): string {
  return rewriteListagg(
    sql.replace(/\bnumber\(\s*(\d+)\s*,\s*(\d+)\s*\)/gi, 'decimal($1, $2)').replace(/\bdate_part\(\s*epoch_second\s*,/gi, 'snowflake_epoch_second('),
  );
}

/** `listagg(<args>) within group (order by <key>)` → `string_agg(<args> order by <key>)`, parentheses balanced. */
function rewriteListagg(sql: string): string {
  const closing = (from: number): number => {
    let depth = 0;
    for (let i = from; i < sql.length; i++) {
      const c = sql[i];
      if (c === "'") i = sql.indexOf("'", i + 1);
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i;
    }
    return -1;
  };
  for (let start = sql.search(/\blistagg\s*\(/i); start >= 0; start = sql.search(/\blistagg\s*\(/i)) {
    const open = sql.indexOf('(', start);
    const end = closing(open);
    const within = /^\s*within\s+group\s*\(\s*order\s+by\s+/i.exec(sql.slice(end + 1));
    if (end < 0 || !within) break;
    const groupOpen = sql.indexOf('(', end + 1);
    const groupEnd = closing(groupOpen);
    const key = sql.slice(end + 1 + within[0].length, groupEnd);
    sql = `${sql.slice(0, start)}string_agg(${sql.slice(open + 1, end)} order by ${key})${sql.slice(groupEnd + 1)}`;
  }
  return sql;
}

export class SnowflakeFake {
  readonly requests: Array<{ method: string; path: string }> = [];
  readonly statements: string[] = [];
  private readonly sessions = new Set<string>();
  private readonly chunks = new Map<string, string>();
  private readonly publicKey?: KeyObject;
  private counter = 0;

  private constructor(
    private readonly server: http.Server,
    readonly engine: DuckDBEngine,
    private readonly options: SnowflakeFakeOptions,
  ) {
    if (options.publicKey) this.publicKey = createPublicKey(options.publicKey);
  }

  static async start(options: SnowflakeFakeOptions): Promise<SnowflakeFake> {
    const engine = await DuckDBEngine.create();
    for (const sql of SNOWFLAKE_SHIMS) await engine.run(sql);
    const server = http.createServer();
    const fake = new SnowflakeFake(server, engine, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** For the client's `accessUrl`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.engine.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    const text = await readBody(req);
    try {
      if (url.pathname === '/session/v1/login-request') return send(res, 200, this.login(parseJson(text)));
      if (url.pathname.startsWith('/fake-chunks/')) {
        const chunk = this.chunks.get(url.pathname);
        if (chunk === undefined) return send(res, 404, { message: 'no such chunk' });
        const gz = gzipSync(chunk);
        res.writeHead(200, { 'content-type': 'binary/octet-stream', 'content-encoding': 'gzip', 'content-length': gz.length });
        return void res.end(gz);
      }
      if (url.pathname === '/telemetry/send') return send(res, 200, { success: true, data: 'Telemetry send success.' });
      const token = /Snowflake Token="([^"]+)"/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !this.sessions.has(token)) {
        return send(res, 200, { success: false, code: '390112', message: 'Your session has expired. Please login again.', data: null });
      }
      if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
        this.sessions.delete(token);
        return send(res, 200, { success: true, data: null, code: null, message: null });
      }
      if (url.pathname === '/queries/v1/query-request') return send(res, 200, await this.query(parseJson(text)));
      if (url.pathname === '/session/heartbeat') return send(res, 200, { success: true, data: null });
      send(res, 404, { success: false, code: '000404', message: `The fake does not serve ${req.method} ${url.pathname}` });
    } catch (error) {
      send(res, 500, { success: false, message: (error as Error).message });
    }
  }

  private login(body: { data?: Record<string, unknown> }): unknown {
    const data = body.data ?? {};
    const user = String(data.LOGIN_NAME ?? '');
    const jwt = data.AUTHENTICATOR === 'SNOWFLAKE_JWT';
    const ok =
      user.toUpperCase() === this.options.user.toUpperCase() &&
      (jwt ? this.verifyJwt(String(data.TOKEN ?? '')) : this.options.password !== undefined && data.PASSWORD === this.options.password);
    if (!ok) {
      return jwt
        ? { success: false, code: '390144', message: 'JWT token is invalid. [fake-request-id]', data: { nextAction: 'RETRY_LOGIN', authnMethod: 'JWT' } }
        : { success: false, code: '390100', message: 'Incorrect username or password was specified.', data: { nextAction: 'RETRY_LOGIN', authnMethod: 'USERNAME_PASSWORD' } };
    }
    const token = `fake-session-token-${++this.counter}`;
    this.sessions.add(token);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: `fake-master-token-${this.counter}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: 1000 + this.counter,
        displayUserName: user.toUpperCase(),
        serverVersion: '9.0.0-fake',
        parameters: [{ name: 'TIMEZONE', value: 'UTC' }, { name: 'CLIENT_SESSION_KEEP_ALIVE', value: false }],
        sessionInfo: { databaseName: 'PQLSYNC', schemaName: 'PUBLIC', warehouseName: 'FAKE_WH', roleName: 'PUBLIC' },
      },
    };
  }

  /** An RS256 JWT signed by the key whose public half the fake holds. */
  private verifyJwt(token: string): boolean {
    if (!this.publicKey) return false;
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return false;
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${payload}`);
    return verifier.verify(this.publicKey, Buffer.from(signature, 'base64url'));
  }

  private async query(body: { sqlText?: string; bindings?: Record<string, { type: string; value: string | null }> }): Promise<unknown> {
    const sql = body.sqlText ?? '';
    this.statements.push(sql);
    const queryId = `01fake00-0000-0000-0000-${String(++this.counter).padStart(12, '0')}`;
    if (/^\s*alter\s+session\b/i.test(sql)) {
      return success(queryId, { columns: [{ name: 'status', typeId: DuckDBTypeId.VARCHAR, scale: 0 }], rows: [['Statement executed successfully.']] }, this.options, this.chunks, this.url);
    }
    const params = Object.keys(body.bindings ?? {})
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => fromBinding(body.bindings![k]));
    try {
      const injected = await this.options.failStatement?.(sql);
      if (injected) throw new Error(injected);
      const result = await this.engine.run(snowflakeToDuckDB(sql), params);
      return success(queryId, result, this.options, this.chunks, this.url);
    } catch (error) {
      const message = (error as Error).message;
      return {
        success: false,
        code: '001003',
        message: `SQL compilation error:\n${message}`,
        data: { queryId, sqlState: '42000', errorCode: '001003', internalError: false, type: 'COMPILATION' },
      };
    }
  }
}

function success(queryId: string, result: EngineResult, options: SnowflakeFakeOptions, chunks: Map<string, string>, base: string): unknown {
  const rowset = result.rows.map((row) => row.map((v, i) => snowflakeValue(v, result.columns[i].typeId)));
  const inline = Math.min(rowset.length, options.inlineRows ?? 1000);
  const perChunk = options.chunkRows ?? 1000;
  const chunkConfigs: Array<{ url: string; rowCount: number; uncompressedSize: number; compressedSize: number }> = [];
  for (let start = inline, n = 0; start < rowset.length; start += perChunk, n++) {
    const rows = rowset.slice(start, start + perChunk);
    const path = `/fake-chunks/${queryId}/${n}`;
    // A chunk is the rows without the enclosing brackets; the client adds them.
    const body = rows.map((r) => JSON.stringify(r)).join(',');
    chunks.set(path, body);
    chunkConfigs.push({ url: `${base}${path}`, rowCount: rows.length, uncompressedSize: body.length, compressedSize: body.length });
  }
  return {
    success: true,
    code: null,
    message: null,
    data: {
      parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
      rowtype: result.columns.map((c) => rowType(c.name, c.typeId, c.scale)),
      rowset: rowset.slice(0, inline),
      total: rowset.length,
      returned: rowset.length,
      queryId,
      queryResultFormat: 'json',
      ...(chunkConfigs.length > 0 ? { chunks: chunkConfigs, chunkHeaders: {} } : {}),
      statementTypeId: 4096,
      version: 1,
      finalDatabaseName: 'PQLSYNC',
      finalSchemaName: 'PUBLIC',
      finalWarehouseName: 'FAKE_WH',
      finalRoleName: 'PUBLIC',
    },
  };
}

function fromBinding(binding: { type: string; value: string | null }): DuckDBValue {
  if (binding.value === null || binding.value === undefined) return null;
  switch (binding.type) {
    case 'FIXED':
      return BigInt(binding.value);
    case 'REAL':
      return Number(binding.value);
    case 'BOOLEAN':
      return binding.value === 'true';
    default:
      return binding.value;
  }
}

function snowflakeType(typeId: DuckDBTypeId): string {
  switch (typeId) {
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.DECIMAL: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.UBIGINT:
      return 'fixed';
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      return 'real';
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_S:
      return 'timestamp_ntz';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp_ltz';
    default:
      return 'text';
  }
}

function rowType(name: string, typeId: DuckDBTypeId, scale: number): unknown {
  const type = snowflakeType(typeId);
  return {
    name: name.toUpperCase(),
    database: 'PQLSYNC',
    schema: 'PUBLIC',
    table: '',
    type,
    nullable: true,
    byteLength: type === 'text' ? 16777216 : null,
    length: type === 'text' ? 16777216 : null,
    scale: type === 'fixed' ? scale : type.startsWith('timestamp') ? 9 : null,
    precision: type === 'fixed' ? 38 : null,
    collation: null,
  };
}

/** The json rowset's text forms: dates as days since the epoch, timestamps as seconds.nanoseconds. */
function snowflakeValue(value: DuckDBValue, typeId: DuckDBTypeId): string | null {
  if (value === null || value === undefined) return null;
  switch (snowflakeType(typeId)) {
    case 'boolean':
      return value ? '1' : '0';
    case 'date':
      return String(daysOf(value));
    case 'timestamp_ntz':
    case 'timestamp_ltz': {
      const micros = microsOf(value);
      const seconds = micros / 1_000_000n;
      const rest = micros % 1_000_000n;
      const [s, r] = rest < 0n ? [seconds - 1n, rest + 1_000_000n] : [seconds, rest];
      return `${s}.${r.toString().padStart(6, '0')}000`;
    }
    default:
      return String(value);
  }
}

function parseJson(text: string): Record<string, never> {
  return text ? JSON.parse(text) : {};
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
