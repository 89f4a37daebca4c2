import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { ConfigError } from '../../../contracts/errors.ts';
import type { BackfillSelection } from '../../run/backfill.ts';
import type { Session } from '../../run/session.ts';
import { pipelineOptions, withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

interface BackfillArgs extends GlobalArgs {
  sync: string;
  full?: boolean;
  where?: string;
  keys?: string;
  since?: string;
  sinceColumn: string;
  resume?: boolean;
  restart?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

/** Standard input, when the caller gives one (tests do not: they are never a terminal). */
type Input = NodeJS.ReadableStream & { isTTY?: boolean };

export function backfillCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'backfill <sync>',
    describe:
      "Re-send a sync's rows whatever state says: all (--full) or a subset (--where, --keys, --since). " +
      'Paced like a sync; an interrupted backfill continues where it stopped.',
    builder: (y: Argv) =>
      y
        .positional('sync', { type: 'string', demandOption: true, describe: 'The sync to backfill' })
        .option('full', { type: 'boolean', describe: 'Every row of the model' })
        .option('where', { type: 'string', describe: "Rows matching a SQL predicate on the model, e.g. \"pql_tier = 'hot'\"" })
        .option('keys', { type: 'string', describe: 'Rows whose key is listed in this file (one per line; # comments)' })
        .option('since', { type: 'string', describe: 'Rows whose updated-at column is at or after this date or timestamp' })
        .option('since-column', { type: 'string', default: 'updated_at', describe: "The model's updated-at column for --since" })
        .option('resume', { type: 'boolean', describe: 'Continue the unfinished backfill of this sync' })
        .option('restart', { type: 'boolean', describe: 'Discard an unfinished backfill of this sync and start this one' })
        .option('yes', { type: 'boolean', alias: 'y', describe: 'Do not ask for confirmation (scripts, schedulers)' })
        .option('dry-run', { type: 'boolean', describe: 'Show what the backfill would send; send nothing' }),
    handler: (args: BackfillArgs) =>
      withSession(args, io, exit, async (session) => {
        const [pipeline, { reportBackfillPlan, reportSync }] = await Promise.all([import('../../run/pipeline.ts'), import('../report.ts')]);
        const { onProgress } = await pipelineOptions({ dryRun: args.dryRun }, io, session.log);
        const { result, exitCode } = await pipeline.backfill(session, {
          sync: args.sync,
          selection: await selectionFrom(args),
          resume: args.resume,
          restart: args.restart,
          dryRun: args.dryRun,
          signal: io.signal,
          onProgress,
          onPlan: (prepared, plan) => reportBackfillPlan(session.log, prepared, plan),
          confirm: args.yes ? undefined : (plan) => confirm(session, io, `Send ${plan.toSend} records to HubSpot ${plan.object}? [y/N] `),
        });
        session.log.progressDone();
        if (result) reportSync(session.log, result);
        return exitCode;
      }, { record: args.dryRun ? undefined : 'backfill' }),
  };
}

async function selectionFrom(args: BackfillArgs): Promise<BackfillSelection | undefined> {
  const given = [args.full ? '--full' : null, args.where !== undefined ? '--where' : null, args.keys !== undefined ? '--keys' : null, args.since !== undefined ? '--since' : null].filter(
    (x): x is string => x !== null,
  );
  if (given.length > 1) throw new ConfigError(`Choose one selection, not ${given.join(' and ')}.`);
  if (args.full) return { kind: 'full' };
  const { parseKeys, parseSince } = await import('../../run/backfill.ts');
  if (args.where !== undefined) return { kind: 'where', predicate: args.where };
  if (args.since !== undefined) return { kind: 'since', column: args.sinceColumn, since: parseSince(args.since) };
  if (args.keys !== undefined) {
    let text: string;
    try {
      text = await readFile(args.keys, 'utf8');
    } catch {
      throw new ConfigError(`--keys ${args.keys}: the file cannot be read`);
    }
    return { kind: 'keys', keys: parseKeys(text), source: args.keys };
  }
  return undefined;
}

/** Asks on a terminal; elsewhere (a scheduler, a pipe, --json) refuses: --yes says it in scripts. */
async function confirm(session: Session, io: CliIo, question: string): Promise<boolean> {
  const input: Input = (io as CliIo & { in?: Input }).in ?? process.stdin;
  if (session.log.json || !input.isTTY) {
    throw new ConfigError('backfill asks for confirmation, and this is not a terminal: pass --yes to send without asking.');
  }
  const rl = createInterface({ input, output: io.err });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
