import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function propertiesCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'properties',
    describe: 'Create or check the HubSpot property group and the properties the syncs map (fails on a conflicting property)',
    builder: (y: Argv) => y.option('sync', { type: 'string', array: true, describe: 'Syncs whose properties to check (default: all)' }),
    handler: (args: GlobalArgs & { sync?: string[] }) =>
      withSession(args, io, exit, async (session) => {
        const [{ openDestination }, { selectSyncs }] = await Promise.all([import('../../../connectors/registry.ts'), import('../../run/steps.ts')]);
        const syncs = selectSyncs(session, args.sync);
        const destination = await openDestination(session.project.config.destination, { env: session.env, log: (e) => session.log.log(e) });
        await destination.ensureProperties(syncs);
        const count = syncs.reduce((sum, s) => sum + s.properties.length, 0);
        session.log.info(`${count} properties are in place in HubSpot for ${syncs.map((s) => s.name).join(', ')}`, {
          event: 'properties_ready',
          properties: count,
          requests: destination.stats.requests,
        });
      }),
  };
}
