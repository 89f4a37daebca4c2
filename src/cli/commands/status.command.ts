import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';
import type { Row } from '../../../connectors/warehouse.ts';

export function statusCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'status',
    describe: 'Show the portal the state belongs to, the last runs (however they ended, and whether they can be rolled back), the open row errors, the locks and unfinished backfills',
    builder: (y: Argv) => y.option('limit', { type: 'number', default: 10, describe: 'How many runs to show' }),
    handler: (args: GlobalArgs & { limit: number }) =>
      withSession(args, io, exit, async (session) => {
        const [{ rollbackAvailability }, { syncContext }, { unfinishedBackfills }] = await Promise.all([
          import('../../run/rollback.ts'),
          import('../../run/steps.ts'),
          import('../../run/backfill.ts'),
        ]);
        const account = await session.state.boundAccount();
        const runLog = await session.state.lastRunLog(args.limit);
        // Runs not in the run log (recorded before it existed, or by the demo) have only their per-sync rows.
        const logged = new Set(runLog.map((r) => String(r.run_id)));
        const unlogged = (await session.state.lastRuns(args.limit)).filter((r) => !logged.has(String(r.run_id)));
        const syncRows = [...(await session.state.syncRunsOf([...logged])), ...unlogged].sort((a, b) => time(b.started_at) - time(a.started_at));
        const events = new Set(session.project.config.syncs.filter((s) => s.mode === 'insert_once').map((s) => s.name));
        const rollback = await rollbackAvailability(syncContext(session), syncRows, session.project.config.history.retention_days, events);
        const runs: Row[] = syncRows.map((r) => ({ ...r, rollback: rollback.get(`${r.run_id}/${r.sync_name}`) ?? '' }));
        const errors = await session.state.openErrors(50);
        const locks = await session.state.lockHolders();
        const deleted = await session.state.deletedInDestination();
        const backfills = await unfinishedBackfills(session.warehouse, session.project.config.state_schema);
        const { HandoffActionStore } = await import('../../state/handoff-actions-state.ts');
        const actions = new HandoffActionStore(session.warehouse, session.project.config.state_schema);
        const handoff = { counts: await actions.counts(), errors: await actions.errors(50) };
        const log = session.log;
        if (log.json) {
          log.info('status', { event: 'status', account_id: account, run_log: runLog, runs, row_errors: errors, locks, backfills, deleted_in_hubspot: deleted, handoff_actions: handoff.counts, handoff_errors: handoff.errors });
          return;
        }
        log.info(account ? `State in '${session.state.schema}' belongs to HubSpot portal ${account}.` : `State in '${session.state.schema}' belongs to no portal yet (no sync has run).`);
        log.info(runLog.length || runs.length ? 'Last runs:' : 'No runs yet.');
        const entries = [
          ...runLog.map((r) => ({ at: time(r.started_at), line: describeLoggedRun(r), syncs: runs.filter((x) => x.run_id === r.run_id) })),
          ...runs.filter((r) => !logged.has(String(r.run_id))).map((r) => ({ at: time(r.started_at), line: `${iso(r.started_at)} ${r.run_id} ${r.command} ${describeSyncRun(r)}`, syncs: [] })),
        ];
        for (const e of entries.sort((a, b) => b.at - a.at).slice(0, args.limit)) {
          log.info(`  ${e.line}`);
          for (const s of e.syncs) log.info(`      ${describeSyncRun(s)}`);
        }
        log.info(errors.length ? `Open row errors (${errors.length}${errors.length === 50 ? '+' : ''}):` : 'No open row errors.');
        for (const e of errors) {
          log.info(`  ${e.sync_name} ${e.record_key}: ${e.category}${e.property ? ` (${e.property})` : ''} ${e.message} [attempts ${e.attempts}]`);
        }
        if (handoff.counts.length > 0) {
          log.info(`Handoff actions: ${handoff.counts.map((c) => `${c.action} ${c.status} ${c.n}`).join(', ')}`);
          if (handoff.errors.length) log.info(`Handoff row errors (${handoff.errors.length}${handoff.errors.length === 50 ? '+' : ''}; tried again when the owner changes):`);
          for (const e of handoff.errors) log.info(`  ${e.action} ${e.record_key} (${e.signal}): ${e.category} ${e.message}`);
        }
        for (const d of deleted) log.info(`${d.sync_name}: ${d.deleted} record(s) deleted in HubSpot, left deleted (on_deleted_in_hubspot: skip)`);
        log.info(locks.length ? 'Locks held:' : 'No locks held.');
        for (const l of locks) log.info(`  ${l.sync_name} by run ${l.run_id} (host ${l.host}, pid ${l.pid}) until ${iso(l.expires_at)}`);
        if (backfills.length) log.info('Unfinished backfills:');
        for (const b of backfills) log.info(`  ${b.sync} (${b.selection}): ${b.sent} of ${b.total} sent, started ${iso(b.startedAt)}; continue with pqlsync backfill ${b.sync} --resume`);
      }),
  };
}

function describeLoggedRun(r: Row): string {
  const ms = r.finished_at instanceof Date && r.started_at instanceof Date ? r.finished_at.getTime() - r.started_at.getTime() : null;
  const ended = r.status === 'running' ? 'running (or killed: the next run of its syncs cleans up)' : `${r.status}, exit ${r.exit_code}`;
  return `${iso(r.started_at)} ${r.run_id} ${r.command}: ${ended}${ms === null ? '' : `, ${(ms / 1000).toFixed(1)} s`}${r.account_id ? `, portal ${r.account_id}` : ''}${r.message ? ` — ${r.message}` : ''}`;
}

function describeSyncRun(r: Row): string {
  const counts =
    r.n_rows === null
      ? ''
      : ` rows ${r.n_rows}: ${r.n_new} new, ${r.n_changed} changed, ${r.n_unchanged} unchanged, ${r.n_removed} removed; sent ${r.n_sent}, failed ${r.n_failed};`;
  return `${r.sync_name ?? ''} ${r.status}${counts} ${r.requests ?? 0} requests${r.message ? ` — ${r.message}` : ''}${r.rollback ? `; rollback: ${r.rollback}` : ''}`;
}

function time(v: unknown): number {
  return v instanceof Date ? v.getTime() : new Date(String(v)).getTime();
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v ?? '');
}
