/**
 * An offline BigQuery for tests: an in-process HTTP server answering what
 * @google-cloud/bigquery 8 sends for queries (jobs.insert, jobs.getQueryResults, jobs.get)
 * and table metadata (tables.get), running the SQL on an in-memory DuckDB.
 *
 * Every statement is first analyzed by Google's ZetaSQL (test/fakes/zetasql.ts), BigQuery's own
 * analyzer, against a catalog of the datasets' tables as they are at that statement (their
 * schemas read from DuckDB). A statement ZetaSQL rejects fails its job with ZetaSQL's message,
 * as BigQuery would fail it, and never reaches DuckDB. A script (statements separated by `;`) is
 * analyzed and run statement by statement, each against the tables the earlier ones created;
 * BEGIN TRANSACTION … COMMIT TRANSACTION runs as a DuckDB transaction, rolled back when a
 * statement fails, so the script is atomic as BigQuery's is.
 *
 * Differences from the real service, on purpose or by necessity:
 * - SQL runs on DuckDB after a few textual rewrites (backticks → double quotes, INT64/FLOAT64/
 *   BOOL/STRING → DuckDB types, TO_HEX(MD5(x)) → MD5(x)); BigQuery-only functions do not run.
 * - Jobs finish at once (or after `pendingPolls` answers of jobComplete: false); results are
 *   kept whole in memory and paged by an offset pageToken.
 * - An invalid query comes back as a job DONE with errorResult (the real service does the same
 *   for most errors; some it rejects with HTTP 400 at insert).
 * - Authentication: when `accessToken` is set, requests must carry `Authorization: Bearer <it>`,
 *   else 401 UNAUTHENTICATED, with the real service's message.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';
import { DuckDBEngine, microsOf, type EngineResult } from './duckdb-engine.ts';
import { analyze, ensureZetaSql, splitScript, typeKindOfDuckType, typeKindOfParameter, type CatalogTable, type TypeKindName } from './zetasql.ts';

export interface BigQueryFakeOptions {
  /** Require this bearer token (else 401). Undefined: no authentication (emulator style). */
  accessToken?: string;
  /** Answer jobComplete: false this many times per job before the results. */
  pendingPolls?: number;
  /**
   * Fault injection: called with each statement (of a script too) after it passed analysis; a
   * message returned fails that statement, as if the service failed it there.
   */
  failStatement?: (sql: string) => string | undefined | Promise<string | undefined>;
}

interface FakeJob {
  id: string;
  /** A script of several statements (or a transaction): answered like DML, without rows. */
  script?: boolean;
  projectId: string;
  location: string;
  query: string;
  result?: EngineResult;
  error?: string;
  polls: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export class BigQueryFake {
  readonly requests: RecordedRequest[] = [];
  /** Every statement ZetaSQL analyzed (scripts split), in order. */
  readonly analyzed: string[] = [];
  /** The jobs that were scripts (several statements, or a transaction). */
  readonly scripts: string[] = [];
  /** Milliseconds spent waiting for ZetaSQL's verdicts (catalog reads included). */
  analysisMs = 0;
  /** The statements ZetaSQL rejected, with its message. */
  readonly rejected: Array<{ sql: string; message: string }> = [];
  private readonly jobs = new Map<string, FakeJob>();
  /** Jobs run one at a time: a script's transaction holds DuckDB's only connection. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The catalog, read again after a statement that may have changed a schema. */
  private catalog: CatalogTable[] | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly engine: DuckDBEngine,
    private readonly options: BigQueryFakeOptions,
  ) {}

  static async start(options: BigQueryFakeOptions = {}): Promise<BigQueryFake> {
    // Fails here, loudly, when the analyzer binary cannot run.
    await ensureZetaSql();
    const engine = await DuckDBEngine.create();
    const server = http.createServer();
    const fake = new BigQueryFake(server, engine, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** ZetaSQL's verdict on a statement against the fake's tables now, without running it (undefined: valid). */
  async check(sql: string, parameterTypes: TypeKindName[] = []): Promise<string | undefined> {
    const catalog = await this.readCatalog();
    return analyze(sql, catalog, parameterTypes, ['test-project']);
  }

  /** Forgets the catalog, after tables were made directly on `engine` (test setup). */
  resetCatalog(): void {
    this.catalog = undefined;
  }

  /** Base URL for `apiEndpoint` (the client appends /bigquery/v2). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.engine.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/bigquery\/v2/, '');
    this.requests.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams) });
    const body = await readBody(req);
    if (this.options.accessToken !== undefined && req.headers.authorization !== `Bearer ${this.options.accessToken}`) {
      return send(res, 401, apiError(401, 'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'unauthorized'));
    }
    let m: RegExpExecArray | null;
    try {
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs$/.exec(path))) {
        return send(res, 200, await this.insertJob(decodeURIComponent(m[1]), JSON.parse(body || '{}')));
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(path))) {
        const job = this.jobs.get(decodeURIComponent(m[2]));
        if (!job) return send(res, 404, apiError(404, 'NOT_FOUND', `Not found: Job ${m[1]}:${m[2]}`, 'notFound'));
        if (job.error) return send(res, 400, apiError(400, 'INVALID_ARGUMENT', job.error, 'invalidQuery'));
        return send(res, 200, this.queryResults(job, url.searchParams));
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(path))) {
        const job = this.jobs.get(decodeURIComponent(m[2]));
        if (!job) return send(res, 404, apiError(404, 'NOT_FOUND', `Not found: Job ${m[1]}:${m[2]}`, 'notFound'));
        return send(res, 200, jobResource(job));
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(path))) {
        const [project, dataset, table] = [m[1], m[2], m[3]].map(decodeURIComponent);
        const read = this.queue.then(() => this.getTable(res, project, dataset, table));
        this.queue = read.catch(() => undefined);
        return await read;
      }
      send(res, 404, apiError(404, 'NOT_FOUND', `The fake does not serve ${req.method} ${path}`, 'notFound'));
    } catch (error) {
      send(res, 500, apiError(500, 'INTERNAL', (error as Error).message, 'backendError'));
    }
  }

  private async insertJob(projectId: string, body: JobRequest): Promise<unknown> {
    const config = body.configuration?.query;
    const id = body.jobReference?.jobId ?? `job_${this.jobs.size + 1}`;
    const job: FakeJob = { id, projectId, location: body.jobReference?.location ?? 'US', query: config?.query ?? '', polls: 0 };
    this.jobs.set(id, job);
    const run = this.queue.then(() => this.runJob(job, config?.queryParameters ?? []));
    this.queue = run.catch(() => undefined);
    await run;
    return jobResource(job);
  }

  /**
   * Runs a job's statements, each analyzed by ZetaSQL first. Outside a transaction, statements
   * before a failing one stay done (as in a BigQuery script); inside BEGIN TRANSACTION the
   * failure rolls back everything since BEGIN.
   */
  private async runJob(job: FakeJob, parameters: QueryParameter[]): Promise<void> {
    const statements = splitScript(job.query);
    job.script = statements.length > 1;
    if (job.script) this.scripts.push(job.query);
    const parameterTypes = parameters.map((p) => typeKindOfParameter(p.parameterType.type));
    const params = parameters.map(toDuckParam);
    let inTransaction = false;
    try {
      for (const statement of statements) {
        const rejected = await this.analyze(statement, job.projectId, parameterTypes);
        if (rejected) throw new Error(rejected);
        const injected = await this.options.failStatement?.(statement);
        if (injected) throw new Error(injected);
        if (/^begin(\s+transaction)?$/i.test(statement)) {
          await this.engine.run('begin transaction');
          inTransaction = true;
        } else if (/^commit(\s+transaction)?$/i.test(statement)) {
          await this.engine.run('commit');
          inTransaction = false;
        } else if (/^rollback(\s+transaction)?$/i.test(statement)) {
          await this.engine.run('rollback');
          inTransaction = false;
        } else {
          job.result = await this.engine.run(rewrite(statement), params);
        }
        if (/^\s*(create|drop|alter)\b/i.test(statement)) this.catalog = undefined;
      }
      if (inTransaction) throw new Error('Transaction was never committed (the script ended inside BEGIN TRANSACTION)');
      job.result ??= { columns: [], rows: [] };
    } catch (error) {
      if (inTransaction) await this.engine.run('rollback').catch(() => undefined);
      this.catalog = undefined;
      job.result = undefined;
      job.error = (error as Error).message.replace(/^[A-Za-z ]+Error: /, '');
    }
  }

  /** ZetaSQL's verdict on one statement, against the tables as they are now. */
  private async analyze(sql: string, projectId: string, parameterTypes: TypeKindName[]): Promise<string | undefined> {
    this.analyzed.push(sql);
    const started = performance.now();
    this.catalog ??= await this.readCatalog();
    const message = await analyze(sql, this.catalog, parameterTypes, [projectId]);
    this.analysisMs += performance.now() - started;
    if (message) this.rejected.push({ sql, message });
    return message;
  }

  /** Every table and view of every schema (dataset) in DuckDB, with BigQuery column types. */
  private async readCatalog(): Promise<CatalogTable[]> {
    const result = await this.engine.run(
      `select table_schema, table_name, column_name, data_type from information_schema.columns
       where table_schema not in ('main', 'information_schema', 'pg_catalog') and table_catalog = current_database()
       order by table_schema, table_name, ordinal_position`,
    );
    const tables = new Map<string, CatalogTable>();
    for (const [schema, name, column, type] of result.rows) {
      const key = `${schema}.${name}`;
      if (!tables.has(key)) tables.set(key, { dataset: String(schema), name: String(name), columns: [] });
      tables.get(key)!.columns.push({ name: String(column), type: typeKindOfDuckType(String(type)) });
    }
    return [...tables.values()];
  }

  private queryResults(job: FakeJob, search: URLSearchParams): unknown {
    const reference = { projectId: job.projectId, jobId: job.id, location: job.location };
    if (job.polls < (this.options.pendingPolls ?? 0)) {
      job.polls++;
      return { kind: 'bigquery#getQueryResultsResponse', jobReference: reference, jobComplete: false };
    }
    const result = job.result!;
    const isSelect = !job.script && result.columns.length > 0 && !/^\s*(insert|update|delete|merge|create|drop|alter)\b/i.test(job.query);
    if (!isSelect) {
      const affected = result.rows[0]?.[0];
      return { kind: 'bigquery#getQueryResultsResponse', jobReference: reference, jobComplete: true, totalRows: '0',
        numDmlAffectedRows: affected === undefined ? undefined : String(affected) };
    }
    const start = Number(search.get('pageToken') ?? search.get('startIndex') ?? 0);
    const maxResults = search.has('maxResults') ? Number(search.get('maxResults')) : 100_000;
    const end = Math.min(result.rows.length, start + maxResults);
    const page = result.rows.slice(start, end);
    return {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: reference,
      jobComplete: true,
      schema: { fields: result.columns.map((c) => ({ name: c.name, type: bigqueryType(c.typeId), mode: 'NULLABLE' })) },
      totalRows: String(result.rows.length),
      ...(page.length > 0 ? { rows: page.map((row) => ({ f: row.map((v, i) => ({ v: bigqueryValue(v, result.columns[i].typeId) })) })) } : {}),
      ...(end < result.rows.length ? { pageToken: String(end) } : {}),
      cacheHit: false,
    };
  }

  private async getTable(res: http.ServerResponse, projectId: string, dataset: string, table: string): Promise<void> {
    const result = await this.engine.run(
      `select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position`,
      [dataset, table],
    );
    if (result.rows.length === 0) {
      return send(res, 404, apiError(404, 'NOT_FOUND', `Not found: Table ${projectId}:${dataset}.${table}`, 'notFound'));
    }
    const fields = result.rows.map(([name, type]) => ({ name: String(name), type: legacyType(String(type)), mode: 'NULLABLE' }));
    send(res, 200, {
      kind: 'bigquery#table',
      id: `${projectId}:${dataset}.${table}`,
      tableReference: { projectId, datasetId: dataset, tableId: table },
      schema: { fields },
      type: 'TABLE',
    });
  }
}

interface JobRequest {
  jobReference?: { jobId?: string; location?: string };
  configuration?: { query?: { query?: string; queryParameters?: QueryParameter[] } };
}
interface QueryParameter {
  parameterType: { type: string };
  parameterValue: { value?: string | number | boolean | null };
}

/**
 * The rewrites that let DuckDB run the GoogleSQL the dialect, the connector and the shipped
 * models write (after ZetaSQL accepted it): backtick names → double quotes; string literals
 * with BigQuery's backslash escapes → DuckDB literals; type names; and the few functions the
 * dialect's macros use (TIMESTAMP_ADD/DIFF, UNIX_SECONDS, SAFE_CAST, COUNTIF, LOGICAL_OR, TO_HEX(MD5)).
 */
export function rewrite(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if ((c === '-' && sql[i + 1] === '-') || c === '#' || (c === '/' && sql[i + 1] === '*')) {
      // Comments are dropped (a line comment's newline stays): a quote inside one opens nothing,
      // and the call rewrites below, which skip quoted text, never see one (an apostrophe in a
      // comment made them take the rest of the statement for a string).
      const block = c === '/';
      const end = block ? sql.indexOf('*/', i + 2) : sql.indexOf('\n', i);
      const j = end < 0 ? sql.length : block ? end + 2 : end;
      out += block ? ' ' : '';
      i = j;
    } else if (c === '`' || c === "'" || c === '"') {
      const triple = c !== '`' && sql.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      let text = '';
      while (j < sql.length && !sql.startsWith(close, j)) {
        if (sql[j] === '\\' && c !== '`') {
          const e = sql[j + 1];
          text += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '0' ? '\0' : e;
          j += 2;
        } else {
          text += sql[j++];
        }
      }
      out += c === '`' ? `"${text.replace(/"/g, '""')}"` : `'${text.replace(/'/g, "''")}'`;
      i = j + close.length;
    } else {
      let j = i;
      while (j < sql.length && !'`\'"#-/'.includes(sql[j])) j++;
      if (j === i) j++;
      out += sql
        .slice(i, j)
        .replace(/TO_HEX\(MD5\(/gi, '(MD5(')
        .replace(/\bINT64\b/gi, 'BIGINT')
        .replace(/\bFLOAT64\b/gi, 'DOUBLE')
        .replace(/\bBOOL\b/gi, 'BOOLEAN')
        .replace(/\bCOUNTIF\(/gi, 'count_if(')
        .replace(/\bLOGICAL_OR\(/gi, 'bool_or(')
        .replace(/\bSAFE_CAST\(/gi, 'TRY_CAST(')
        .replace(/\bGENERATE_ARRAY\(/gi, 'generate_series(');
      i = j;
    }
  }
  // UNNEST(list) AS x names a column x in GoogleSQL; DuckDB needs AS x(x).
  out = out.replace(/(\bUNNEST\s*\([^()]*(?:\([^()]*\))?[^()]*\)\s+AS\s+)([A-Za-z_]\w*)(?!\s*\()/gi, '$1$2($2)');
  return rewriteCalls(out, {
    TIMESTAMP_ADD: ([ts, interval]) => {
      const m = /^\s*INTERVAL\s+([\s\S]+?)\s+(DAY|HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)\s*$/i.exec(interval ?? '');
      if (!m) return undefined;
      return `(${ts} + to_${m[2].toLowerCase()}s(CAST(${m[1]} AS BIGINT)))`;
    },
    TIMESTAMP_DIFF: ([a, b, unit]) => {
      const per: Record<string, number> = { MICROSECOND: 1, MILLISECOND: 1e3, SECOND: 1e6, MINUTE: 6e7, HOUR: 36e8, DAY: 864e8 };
      const n = per[(unit ?? '').trim().toUpperCase()];
      if (!n) return undefined;
      // Elapsed time truncated toward zero, as BigQuery's TIMESTAMP_DIFF.
      const us = `(epoch_us(${a}) - epoch_us(${b}))`;
      return n === 1 ? us : `CAST(trunc(${us} / ${n}) AS BIGINT)`;
    },
    UNIX_SECONDS: ([ts]) => `CAST(floor(epoch_us(${ts}) / 1000000) AS BIGINT)`,
    // The dialect's sorted distinct string aggregation, through JSON as GoogleSQL needs it.
    ARRAY_TO_STRING: ([list, separator]) => {
      const m = /^JSON_VALUE_ARRAY\(TO_JSON_STRING\(ARRAY_AGG\(DISTINCT ([\s\S]+?) IGNORE NULLS ORDER BY ([\s\S]+)\)\)\)$/i.exec(list ?? '');
      return m ? `string_agg(DISTINCT ${m[1]}, ${separator} ORDER BY ${m[2]})` : undefined;
    },
  });
}

/**
 * Replaces calls of the named functions, innermost first, by what `replace` makes of their
 * top-level arguments (undefined keeps the call). Skips DuckDB string literals and quoted names.
 */
function rewriteCalls(sql: string, replacements: Record<string, (args: string[]) => string | undefined>): string {
  const names = Object.keys(replacements);
  const pattern = new RegExp(`\\b(${names.join('|')})\\s*\\(`, 'gi');
  for (let guard = 0; guard < 10_000; guard++) {
    let found: { start: number; end: number; text: string } | undefined;
    pattern.lastIndex = 0;
    for (let m: RegExpExecArray | null; (m = pattern.exec(sql)); ) {
      if (insideQuotes(sql, m.index)) continue;
      const args: string[] = [];
      let depth = 0;
      let current = '';
      let j = m.index + m[0].length;
      for (; j < sql.length; j++) {
        const c = sql[j];
        if (c === "'" || c === '"') {
          const k = sql.indexOf(c, j + 1);
          current += sql.slice(j, k + 1);
          j = k;
          continue;
        }
        if (c === '(') depth++;
        if (c === ')' && depth-- === 0) break;
        if (c === ',' && depth === 0) {
          args.push(current);
          current = '';
        } else {
          current += c;
        }
      }
      args.push(current);
      // Innermost first: a call whose arguments hold another one waits for it.
      if (args.some((a) => new RegExp(pattern.source, 'i').test(a))) continue;
      const text = replacements[m[1].toUpperCase()](args.map((a) => a.trim()));
      if (text === undefined) continue;
      found = { start: m.index, end: j + 1, text };
      break;
    }
    if (!found) return sql;
    sql = sql.slice(0, found.start) + found.text + sql.slice(found.end);
  }
  return sql;
}

/** Whether position `at` is inside a '…' literal or a "…" name (DuckDB quoting). */
function insideQuotes(sql: string, at: number): boolean {
  let quote: string | undefined;
  for (let i = 0; i < at; i++) {
    if (quote) {
      if (sql[i] === quote) quote = undefined;
    } else if (sql[i] === "'" || sql[i] === '"') {
      quote = sql[i];
    }
  }
  return quote !== undefined;
}

function toDuckParam(p: QueryParameter): DuckDBValue {
  const v = p.parameterValue?.value;
  if (v === null || v === undefined) return null;
  switch (p.parameterType.type) {
    case 'INT64':
      return BigInt(String(v));
    case 'FLOAT64':
    case 'NUMERIC':
      return Number(v);
    case 'BOOL':
      return v === true || v === 'true';
    case 'TIMESTAMP':
      // The client sends '2026-01-02T03:04:05.000Z'; DuckDB casts a zone-less UTC text.
      return new Date(String(v)).toISOString().replace('T', ' ').replace('Z', '');
    default:
      return String(v);
  }
}

function bigqueryType(typeId: DuckDBTypeId): string {
  switch (typeId) {
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER:
      return 'INTEGER';
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      return 'FLOAT';
    case DuckDBTypeId.DECIMAL:
      return 'NUMERIC';
    case DuckDBTypeId.BOOLEAN:
      return 'BOOLEAN';
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ: case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_S:
      return 'TIMESTAMP';
    case DuckDBTypeId.DATE:
      return 'DATE';
    default:
      return 'STRING';
  }
}

function legacyType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/INT/.test(t)) return 'INTEGER';
  if (/DOUBLE|FLOAT|REAL/.test(t)) return 'FLOAT';
  if (/DECIMAL|NUMERIC/.test(t)) return 'NUMERIC';
  if (/BOOL/.test(t)) return 'BOOLEAN';
  if (/TIMESTAMP/.test(t)) return 'TIMESTAMP';
  if (t === 'DATE') return 'DATE';
  return 'STRING';
}

/** Values as the REST API writes them: strings; TIMESTAMP as int64 microseconds (useInt64Timestamp). */
function bigqueryValue(value: DuckDBValue, typeId: DuckDBTypeId): string | null {
  if (value === null || value === undefined) return null;
  switch (bigqueryType(typeId)) {
    case 'TIMESTAMP':
      return microsOf(value).toString();
    case 'BOOLEAN':
      return value ? 'true' : 'false';
    default:
      return String(value);
  }
}

function jobResource(job: FakeJob): unknown {
  return {
    kind: 'bigquery#job',
    id: `${job.projectId}:${job.location}.${job.id}`,
    jobReference: { projectId: job.projectId, jobId: job.id, location: job.location },
    configuration: { query: { query: job.query, useLegacySql: false }, jobType: 'QUERY' },
    status: job.error
      ? { state: 'DONE', errorResult: { reason: 'invalidQuery', location: 'query', message: job.error },
          errors: [{ reason: 'invalidQuery', location: 'query', message: job.error }] }
      : { state: 'DONE' },
    statistics: { creationTime: String(Date.now()), startTime: String(Date.now()), endTime: String(Date.now()) },
  };
}

function apiError(code: number, status: string, message: string, reason: string): unknown {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }], status } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
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
