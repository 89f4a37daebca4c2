/**
 * Google's ZetaSQL analyzer (the SQL front end BigQuery is built on), for the BigQuery fake:
 * every statement the fake receives is analyzed here, against a catalog of the tables that
 * exist at that moment, before DuckDB runs it. What ZetaSQL rejects, BigQuery would reject.
 *
 * The analyzer is the gRPC server binary shipped in @fivetrandevelopers/zetasql. It starts once
 * per test run (vitest globalSetup, test/setup/zetasql.global.ts, which hands the port to the
 * workers in PQLSYNC_ZETASQL_PORT), or once per process when nothing started it. When the binary
 * cannot run, analysis throws: the tests fail, they are never skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import type { AnalyzeRequest, LanguageOptions as LanguageOptionsType, ZetaSQLClient as ZetaSQLClientType } from '@fivetrandevelopers/zetasql';

const require = createRequire(import.meta.url);
const zetasql = require('@fivetrandevelopers/zetasql') as typeof import('@fivetrandevelopers/zetasql');

export const ZETASQL_PORT_ENV = 'PQLSYNC_ZETASQL_PORT';

/** BigQuery's type names (and the fake's DuckDB types) → ZetaSQL type kinds. */
export type TypeKindName = 'TYPE_STRING' | 'TYPE_INT64' | 'TYPE_DOUBLE' | 'TYPE_NUMERIC' | 'TYPE_BOOL' | 'TYPE_TIMESTAMP' | 'TYPE_DATE' | 'TYPE_DATETIME' | 'TYPE_TIME' | 'TYPE_BYTES';

/** A table the catalog knows: dataset, name and typed columns. */
export interface CatalogTable {
  dataset: string;
  name: string;
  columns: Array<{ name: string; type: TypeKindName }>;
}

/**
 * BigQuery's documented type aliases (GoogleSQL data types: "INT64, with alias INT, SMALLINT,
 * INTEGER, BIGINT, TINYINT, BYTEINT"; DECIMAL for NUMERIC, BIGDECIMAL for BIGNUMERIC), which
 * BigQuery resolves itself and ZetaSQL alone does not know.
 */
const TYPE_ALIASES = [
  ...['INT', 'SMALLINT', 'INTEGER', 'BIGINT', 'TINYINT', 'BYTEINT'].map((name) => ({ name, type: { typeKind: 'TYPE_INT64' as const } })),
  { name: 'DECIMAL', type: { typeKind: 'TYPE_NUMERIC' as const } },
  { name: 'BIGDECIMAL', type: { typeKind: 'TYPE_BIGNUMERIC' as const } },
];

/** The path of the server binary for this platform (Linux x86-64 here). */
export function serverBinary(): string {
  const lib = path.dirname(require.resolve('@fivetrandevelopers/zetasql'));
  const extension = (process.arch.startsWith('arm') ? '_arm' : '') + (process.platform === 'darwin' ? '' : '.so');
  return path.join(lib, 'zetasql', `remote_server${extension}`);
}

/** A running analyzer server: its port and how to stop it. */
export interface ZetaSqlServer {
  port: number;
  stop(): void;
}

/**
 * Starts the analyzer on a free loopback port and waits until it answers (about half a second).
 * Throws with the binary's output when it exits or does not answer within `timeoutMs`.
 */
export async function startZetaSqlServer(timeoutMs = 30_000): Promise<ZetaSqlServer> {
  const port = await freePort();
  const binary = serverBinary();
  const child: ChildProcess = spawn(binary, ['127.0.0.1', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited: string | undefined;
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  child.on('error', (error) => (exited = `could not start: ${error.message}`));
  child.on('exit', (code, signal) => (exited ??= `exited (code ${code}, signal ${signal})`));
  child.unref();
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      stop();
      throw new Error(`The ZetaSQL analyzer (${binary}) ${exited ?? `did not answer on port ${port} within ${timeoutMs} ms`}${output ? `:\n${output}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, stop };
}

let ownServer: ZetaSqlServer | undefined;
let client: Promise<{ api: ZetaSQLClientType; language: LanguageOptionsType }> | undefined;

/** The client, connected to the run's server (PQLSYNC_ZETASQL_PORT) or to one this process starts. */
function connect(): Promise<{ api: ZetaSQLClientType; language: LanguageOptionsType }> {
  client ??= (async () => {
    let port = Number(process.env[ZETASQL_PORT_ENV] ?? 0);
    if (!port) {
      ownServer = await startZetaSqlServer();
      process.once('exit', () => ownServer?.stop());
      port = ownServer.port;
    }
    zetasql.ZetaSQLClient.init(port);
    const api = zetasql.ZetaSQLClient.getInstance();
    const language = await new zetasql.LanguageOptions().enableMaximumLanguageFeatures().catch((error: Error) => {
      throw new Error(`The ZetaSQL analyzer on port ${port} does not answer: ${error.message}`);
    });
    return { api, language };
  })();
  client.catch(() => (client = undefined));
  return client;
}

/** Makes sure the analyzer answers (call it in a beforeAll: a broken binary fails there, loudly). */
export async function ensureZetaSql(): Promise<void> {
  await connect();
}

/**
 * Analyzes one statement as BigQuery would (GoogleSQL, external product mode, every statement
 * kind, the maximum language features, positional parameters of the given types, time zone UTC).
 * Answers ZetaSQL's error message, or undefined when the statement is valid.
 */
export async function analyze(sql: string, tables: CatalogTable[], parameterTypes: TypeKindName[] = [], projects: string[] = []): Promise<string | undefined> {
  const { api, language } = await connect();
  const languageOptions = { ...language.serialize(), productMode: 'PRODUCT_EXTERNAL' as const, supportedStatementKinds: [] };
  const datasets = new Map<string, CatalogTable[]>();
  for (const t of tables) datasets.set(t.dataset, [...(datasets.get(t.dataset) ?? []), t]);
  const datasetCatalogs = [...datasets].map(([name, list]) => ({
    name,
    table: list.map((t) => ({ name: t.name, column: t.columns.map((c) => ({ name: c.name, type: { typeKind: c.type } })) })),
  }));
  const simpleCatalog = {
    name: 'bigquery',
    builtinFunctionOptions: { languageOptions },
    namedType: TYPE_ALIASES,
    // `dataset`.`table`, and `project`.`dataset`.`table` for the projects named.
    catalog: [...datasetCatalogs, ...projects.filter((p) => !datasets.has(p)).map((name) => ({ name, catalog: datasetCatalogs }))],
  };
  // The same statement against the same tables gets the same verdict: the chunks of a large
  // insert repeat their text, and analyzing 10,000 parameters takes ZetaSQL a while.
  const catalogKey = JSON.stringify(simpleCatalog);
  const verdictKey = createHash('sha256').update(catalogKey).update('\0').update(parameterTypes.join(',')).update('\0').update(sql).digest('hex');
  if (verdicts.has(verdictKey)) return verdicts.get(verdictKey);
  const request: AnalyzeRequest = {
    sqlStatement: sql,
    registeredCatalogId: await registered(api, simpleCatalog, catalogKey),
    options: {
      languageOptions,
      errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
      defaultTimezone: 'UTC',
      parameterMode: 'PARAMETER_POSITIONAL',
      positionalQueryParameters: parameterTypes.map((typeKind) => ({ typeKind })),
    },
  };
  let verdict: string | undefined;
  try {
    await analyzeWithoutResult(request);
  } catch (error) {
    const e = error as { code?: number; details?: string; message?: string };
    // 3 INVALID_ARGUMENT (and 5 NOT_FOUND, 12 UNIMPLEMENTED): the analyzer's verdict. Anything
    // else (14 UNAVAILABLE: the server is gone) is a broken test setup, not a verdict.
    if (e.code !== 3 && e.code !== 5 && e.code !== 12) throw new Error(`The ZetaSQL analyzer failed (${e.code}): ${e.details ?? e.message}`, { cause: error });
    verdict = e.details || e.message || 'ZetaSQL rejected the statement';
  }
  if (verdicts.size >= 2000) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(verdictKey, verdict);
  return verdict;
}

/**
 * Catalogs registered with the server, by content: the server builds a catalog (and its
 * builtin functions, the costly part) once, and a statement names it by id. The last few are
 * kept; older ones are unregistered.
 */
const registeredCatalogs = new Map<string, Promise<string>>();

/** Verdicts by catalog, parameter types and statement (undefined: valid). */
const verdicts = new Map<string, string | undefined>();

async function registered(api: ZetaSQLClientType, simpleCatalog: object, key: string): Promise<string> {
  let id = registeredCatalogs.get(key);
  if (id) {
    registeredCatalogs.delete(key);
  } else {
    id = api.registerCatalog({ simpleCatalog }).then((r) => String(r?.registeredId ?? ''));
    id.catch(() => registeredCatalogs.delete(key));
  }
  registeredCatalogs.set(key, id);
  while (registeredCatalogs.size > 16) {
    const [oldest, oldId] = registeredCatalogs.entries().next().value as [string, Promise<string>];
    registeredCatalogs.delete(oldest);
    void oldId.then((registeredId) => api.unRegisterCatalog({ registeredId })).catch(() => undefined);
  }
  return id;
}

/**
 * The Analyze call, with its answer left unparsed: only the verdict matters here, and the
 * resolved tree of a long expression (the row hash's chain of ||) nests deeper than the
 * client's protobuf decoder accepts.
 */
function analyzeWithoutResult(request: AnalyzeRequest): Promise<void> {
  const api = zetasql.ZetaSQLClient.API as unknown as {
    constructor: { service: Record<string, { path: string; requestSerialize: (value: unknown) => Buffer }> };
    makeUnaryRequest(path: string, serialize: (value: unknown) => Buffer, deserialize: (buffer: Buffer) => Buffer, request: unknown, callback: (error: Error | null) => void): void;
  };
  const method = api.constructor.service.Analyze;
  return new Promise((resolve, reject) =>
    api.makeUnaryRequest(method.path, method.requestSerialize, (buffer) => buffer, request, (error) => (error ? reject(error) : resolve())),
  );
}

/** The ZetaSQL type of a column of the fake's DuckDB (information_schema data_type). */
export function typeKindOfDuckType(duckType: string): TypeKindName {
  const t = duckType.toUpperCase();
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|INT\d*)$/.test(t)) return 'TYPE_INT64';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return 'TYPE_DOUBLE';
  if (/^(DECIMAL|NUMERIC)/.test(t)) return 'TYPE_NUMERIC';
  if (/^BOOL/.test(t)) return 'TYPE_BOOL';
  if (/^TIMESTAMP/.test(t)) return 'TYPE_TIMESTAMP';
  if (t === 'DATE') return 'TYPE_DATE';
  if (/^TIME$/.test(t)) return 'TYPE_TIME';
  if (/^(BLOB|BYTEA)$/.test(t)) return 'TYPE_BYTES';
  return 'TYPE_STRING';
}

/** The ZetaSQL type of a BigQuery query parameter type. */
export function typeKindOfParameter(type: string): TypeKindName {
  switch (type.toUpperCase()) {
    case 'INT64': case 'INTEGER': return 'TYPE_INT64';
    case 'FLOAT64': case 'FLOAT': return 'TYPE_DOUBLE';
    case 'NUMERIC': case 'BIGNUMERIC': return 'TYPE_NUMERIC';
    case 'BOOL': case 'BOOLEAN': return 'TYPE_BOOL';
    case 'TIMESTAMP': return 'TYPE_TIMESTAMP';
    case 'DATE': return 'TYPE_DATE';
    case 'DATETIME': return 'TYPE_DATETIME';
    case 'BYTES': return 'TYPE_BYTES';
    default: return 'TYPE_STRING';
  }
}

/**
 * Splits a script into its statements on the semicolons outside string literals, quoted
 * identifiers and comments. Empty statements are dropped.
 */
export function splitScript(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === "'" || c === '"' || c === '`') {
      // BigQuery strings take backslash escapes; a tripled quote opens a triple-quoted string.
      const triple = script.startsWith(c.repeat(3), i) && c !== '`';
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      while (j < script.length && !script.startsWith(close, j)) j += script[j] === '\\' ? 2 : 1;
      current += script.slice(i, j + close.length);
      i = j + close.length - 1;
    } else if (c === '-' && script[i + 1] === '-' || c === '#') {
      const end = script.indexOf('\n', i);
      const j = end < 0 ? script.length : end;
      current += script.slice(i, j);
      i = j - 1;
    } else if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      const j = end < 0 ? script.length : end + 2;
      current += script.slice(i, j);
      i = j - 1;
    } else if (c === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
