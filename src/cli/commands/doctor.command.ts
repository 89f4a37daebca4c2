import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.ts';
import { loggerFor, reportError, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

const MARK = { ok: '✓', failed: '✗', skipped: '-' } as const;

export function doctorCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'doctor',
    describe:
      'Check what run will need, sending nothing: config, models (compiled by the warehouse, not built), mapped columns, tables, ' +
      'the HubSpot token, its scopes and portal, property names; say how to fix what is wrong',
    builder: (y: Argv) => y,
    handler: async (args: GlobalArgs) => {
      const log = loggerFor(args, io);
      try {
        const [{ runDoctor }, { projectFor }] = await Promise.all([import('../../doctor/doctor.ts'), import('../../config/load-project.ts')]);
        const checks = await runDoctor({ config: args.config, env: io.env, adjust: (project) => projectFor(project, args, io.env) });
        for (const c of checks) {
          const line = `${MARK[c.status]} ${c.check.padEnd(15)} ${c.detail}${c.fix ? `\n  ${''.padEnd(15)} fix: ${c.fix}` : ''}`;
          const fields = { event: 'doctor_check', check: c.check, status: c.status, detail: c.detail, fix: c.fix };
          // One stream, in order: a failed check is marked ✗ (and its status field says so), not logged as an error.
          log.info(line, fields);
        }
        const failed = checks.filter((c) => c.status === 'failed').length;
        log.info(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed (exit ${EXIT.doctor}).`, { event: 'doctor_done', failed });
        exit.code = failed === 0 ? EXIT.ok : EXIT.doctor;
      } catch (error) {
        exit.code = reportError(log, error, io.env);
      }
    },
  };
}
