import type { SqlRunner, Statement, Warehouse } from '../../connectors/warehouse.ts';

/**
 * How far an incremental model has been built: the checksum of what it was built from,
 * the as_of of its last build, and the instant up to which events are folded into its kept
 * table (each event older than that is counted exactly once; newer ones are recomputed
 * every run). One row per model and models schema, in the state schema: a pull request's
 * build into a schema of its own (--models-schema) never reads or moves production's marks.
 */
export interface ModelWatermark {
  model: string;
  /** Checksum of the model's compiled SQL, header and upstream models: a change means a full rebuild. */
  checksum: string;
  /** ISO instant: the as_of of the last build. */
  asOf: string;
  /** ISO instant: events with time <= this are folded into the kept table. */
  foldedUntil: string;
}

const TABLE = 'model_watermarks';

/** The watermarks table: created, read and written here only. */
export class ModelWatermarks {
  constructor(
    private readonly warehouse: Warehouse,
    readonly schema: string,
    /** The schema the models are built in: marks are kept per models schema. */
    readonly modelsSchema: string,
  ) {}

  private get table(): string {
    return this.warehouse.dialect.table({ schema: this.schema, name: TABLE });
  }

  async ensureTable(): Promise<void> {
    const { string: s, timestamp: ts } = this.warehouse.dialect.types;
    await this.warehouse.execute(this.warehouse.dialect.createSchema(this.schema));
    // Instants are kept as ISO text: compared in JS, never by the engine.
    await this.warehouse.execute(`create table if not exists ${this.table} (models_schema ${s}, model_name ${s}, checksum ${s}, as_of ${s}, folded_until ${s}, built_at ${ts})`);
  }

  async read(model: string): Promise<ModelWatermark | undefined> {
    const rows = await this.warehouse.query(stmt(`select checksum, as_of, folded_until from ${this.table} where models_schema = ? and model_name = ?`, [this.modelsSchema, model]));
    if (rows.length !== 1) return undefined;
    const [checksum, asOf, foldedUntil] = Object.values(rows[0]).map(String);
    return { model, checksum, asOf, foldedUntil };
  }

  /** Forgets a model's watermark: its next build is a full rebuild (run before a full rebuild starts). */
  async clear(runner: SqlRunner, model: string): Promise<void> {
    await runner.execute(stmt(`delete from ${this.table} where models_schema = ? and model_name = ?`, [this.modelsSchema, model]));
  }

  /** Records a build; run it inside the transaction that writes the model's tables. */
  async write(runner: SqlRunner, mark: ModelWatermark, at: Date = new Date()): Promise<void> {
    await this.clear(runner, mark.model);
    await runner.execute(
      stmt(`insert into ${this.table} (models_schema, model_name, checksum, as_of, folded_until, built_at) values (?, ?, ?, ?, ?, ?)`, [
        this.modelsSchema,
        mark.model,
        mark.checksum,
        mark.asOf,
        mark.foldedUntil,
        at,
      ]),
    );
  }
}

const stmt = (sql: string, values: Statement['values']): Statement => ({ sql, values });
