/**
 * An offline BigQuery for tests: an in-process HTTP server answering what
 * @google-cloud/bigquery 8 sends for queries (jobs.insert, jobs.getQueryResults, jobs.get)
 * and table metadata (tables.get), running the SQL on an in-memory DuckDB.
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

export interface BigQueryFakeOptions {
  /** Require this bearer token (else 401). Undefined: no authentication (emulator style). */
  accessToken?: string;
  /** Answer jobComplete: false this many times per job before the results. */
  pendingPolls?: number;
}

interface FakeJob {
  id: string;
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
  private readonly jobs = new Map<string, FakeJob>();

  private constructor(
    private readonly server: http.Server,
    readonly engine: DuckDBEngine,
    private readonly options: BigQueryFakeOptions,
  ) {}

  static async start(options: BigQueryFakeOptions = {}): Promise<BigQueryFake> {
    const engine = await DuckDBEngine.create();
    const server = http.createServer();
    const fake = new BigQueryFake(server, engine, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
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
        return this.getTable(res, decodeURIComponent(m[1]), decodeURIComponent(m[2]), decodeURIComponent(m[3]));
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
    try {
      const params = (config?.queryParameters ?? []).map(toDuckParam);
      job.result = await this.engine.run(rewrite(job.query), params);
    } catch (error) {
      job.error = (error as Error).message.replace(/^[A-Za-z ]+Error: /, '');
    }
    return jobResource(job);
  }

  private queryResults(job: FakeJob, search: URLSearchParams): unknown {
    const reference = { projectId: job.projectId, jobId: job.id, location: job.location };
    if (job.polls < (this.options.pendingPolls ?? 0)) {
      job.polls++;
      return { kind: 'bigquery#getQueryResultsResponse', jobReference: reference, jobComplete: false };
    }
    const result = job.result!;
    const isSelect = result.columns.length > 0 && !/^\s*(insert|update|delete|merge|create|drop|alter)\b/i.test(job.query);
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

/** The few rewrites that let DuckDB run the SQL the BigQuery dialect and connector write. */
export function rewrite(sql: string): string {
  return sql
    .replace(/`([^`]*)`/g, (_, id: string) => `"${id.replace(/"/g, '""')}"`)
    .replace(/TO_HEX\(MD5\(/gi, '(MD5(')
    .replace(/\bINT64\b/g, 'BIGINT')
    .replace(/\bFLOAT64\b/g, 'DOUBLE')
    .replace(/\bBOOL\b/g, 'BOOLEAN')
    .replace(/\bCOUNTIF\(/g, 'count_if(')
    .replace(/\bLOGICAL_OR\(/g, 'bool_or(');
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
