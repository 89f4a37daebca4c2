/**
 * `pqlsync --help` (and a command's --help) loads yargs and the command list only: the config
 * schema (zod, yaml), the warehouse drivers and the HubSpot client load when a command runs.
 * That is what keeps a scheduler's or a person's `--help` near Node's own start-up cost.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.ts';

const execFileAsync = promisify(execFile);

/** A resolve hook that prints every package a module graph reaches, one per line on stderr. */
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  const match = /node_modules\\\\/((?:@[^/]+\\\\/)?[^/]+)\\\\//.exec(found.url);
  if (match) process.stderr.write('loaded ' + match[1] + '\\\\n');
  return found;
}\`));
`)}`;

async function packagesLoadedBy(args: string[]): Promise<{ stdout: string; packages: Set<string> }> {
  const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', '--import', HOOK, path.join(REPO, 'src/cli/main.ts'), ...args], { cwd: REPO });
  const packages = new Set([...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]).filter((name) => name !== 'tsx'));
  return { stdout, packages };
}

const HEAVY = ['zod', 'yaml', '@duckdb/node-api', 'pg', '@hubspot/api-client', '@google-cloud/bigquery', 'snowflake-sdk'];

describe('pqlsync --help', () => {
  it('loads yargs and the command list, none of the config schema, drivers or HubSpot client', async () => {
    for (const args of [['--help'], ['run', '--help'], ['backfill', '--help']]) {
      const { stdout, packages } = await packagesLoadedBy(args);
      expect(stdout).toContain('pqlsync');
      expect(packages.has('yargs'), `${args.join(' ')} loaded: ${[...packages].join(', ')}`).toBe(true);
      expect(HEAVY.filter((name) => packages.has(name)), args.join(' ')).toEqual([]);
    }
  }, 60_000);

  it('still loads them when a command runs (the hook sees what is imported)', async () => {
    const { packages } = await packagesLoadedBy(['status', '--config', path.join(REPO, 'no-such-dir/pqlsync.yml')]).catch(
      (error: { stderr: string; stdout: string }) => ({
        stdout: error.stdout,
        packages: new Set([...error.stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1])),
      }),
    );
    expect(packages.has('zod')).toBe(true);
  }, 60_000);
});
