/**
 * Warehouse drivers are optional peer dependencies (docs/warehouses.md, "Drivers"): the registry's
 * driver lines agree with package.json, and a driver that cannot be loaded is a configuration error
 * naming the one install command. The tarball test (test/package) installs without them for real.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/errors.ts';
import { driverInstalled, loadWarehouse, MissingDriverError, warehouses, type WarehouseLine } from '../../connectors/registry.ts';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { REPO } from '../helpers/project.ts';

const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;

/** A load that fails as Node's loader does when `name` is not installed. */
function missing(name: string): WarehouseLine['load'] {
  return () => import(/* @vite-ignore */ `${name}`);
}

describe('warehouse drivers', () => {
  it('are the optional peer dependencies of package.json, with the same ranges, and devDependencies for the tests', () => {
    const drivers = Object.fromEntries(Object.values(warehouses).flatMap((w) => (w.driver ? [[w.driver.package, w.driver.range]] : [])));
    expect(Object.keys(drivers).sort()).toEqual(['@google-cloud/bigquery', 'pg', 'snowflake-sdk']);
    expect(pkg.peerDependencies).toEqual(drivers);
    for (const [name, range] of Object.entries(drivers)) {
      expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(pkg.devDependencies[name], name).toBe(range);
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    expect(warehouses.duckdb.driver).toBeUndefined();
  });

  it('a driver that is not installed is a configuration error (exit 2) naming the exact npm install command', async () => {
    const name = 'pqlsync-test-driver-that-is-not-installed';
    const line: WarehouseLine = { driver: { package: name, range: '^1.2.3' }, load: missing(name) };
    const error = await loadWarehouse('postgres', line).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDriverError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(error)).toBe(EXIT.config);
    expect((error as MissingDriverError).installCommand).toBe(`npm install ${name}@^1.2.3`);
    expect((error as Error).message).toContain(`The postgres warehouse needs its driver, ${name}, which is not installed`);
    expect((error as Error).message).toMatch(new RegExp(`: npm install ${name}@\\^1\\.2\\.3$`));
  });

  it('a package the driver needs that is missing is not mistaken for the driver: the error passes through', async () => {
    const line: WarehouseLine = { driver: { package: 'pg', range: '^8.23.0' }, load: missing('pqlsync-test-dependency-of-pg') };
    const error = await loadWarehouse('postgres', line).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toContain('pqlsync-test-dependency-of-pg');
  });

  it('the repository installs every driver (its tests use them), and loads each connector', async () => {
    for (const [type, line] of Object.entries(warehouses)) {
      if (line.driver) expect(driverInstalled(line.driver), type).toBe(true);
      expect((await loadWarehouse(type as keyof typeof warehouses)).dialect.name, type).toBe(type);
    }
    expect(driverInstalled({ package: 'pqlsync-test-driver-that-is-not-installed', range: '^1' })).toBe(false);
  });
});
