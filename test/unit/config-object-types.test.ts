/** Object types are data: an unknown `object:` is a config error, deals need a pipeline, associations name syncs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseProject } from '../../src/config/load-project.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { orderSyncs } from '../../src/run/sync-order.ts';
import { OBJECT_TYPE_NAMES, OBJECT_WRITERS } from '../../connectors/hubspot/objects/object-types.ts';
import { OBJECT_TYPE_LIST } from '../../connectors/hubspot/objects/registry.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';

const FILE = '/projects/acme/pqlsync.yml';
const shipped = parseDocument(readFileSync(DEMO_CONFIG, 'utf8')).toJS();

const stages = [
  { key: 'trial_self_served', label: 'Trial (self-served)', probability: 0.2 },
  { key: 'trial_sales_assisted', label: 'Trial (sales-assisted)', probability: 0.4 },
  { key: 'closed_lost', label: 'Closed lost', probability: 0, closed: true },
  { key: 'closed_won', label: 'Closed won', probability: 1, closed: true },
];
const dealSync = (over: Record<string, unknown> = {}) => ({
  name: 'trial_deals',
  model: 'deal_sync',
  object: 'deals',
  key: 'trial_id',
  pipeline: { label: 'PLG trials', stages },
  properties: [
    { column: 'deal_name', property: 'dealname', type: 'string', label: 'Deal name' },
    { column: 'deal_stage', property: 'dealstage', type: 'enumeration', label: 'Stage', options: stages.map((s) => s.key) },
  ],
  ...over,
});

function load(change: (c: any) => void) {
  const config = structuredClone(shipped);
  config.syncs = config.syncs.filter((s: { object: string; model: string }) => s.object !== 'deals' && !s.model.startsWith('handoff_'));
  delete config.handoff;
  for (const s of config.syncs) delete s.associations;
  change(config);
  return parseProject(JSON.stringify(config), FILE);
}

function errorOf(change: (c: any) => void): string {
  try {
    load(change);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('object types', () => {
  it('every object type a sync may name has a folder in the registry, in the same order, with its writer', () => {
    expect(OBJECT_TYPE_LIST.map((t) => t.name)).toEqual([...OBJECT_TYPE_NAMES]);
    expect(Object.keys(OBJECT_WRITERS)).toEqual([...OBJECT_TYPE_NAMES]);
    for (const t of OBJECT_TYPE_LIST) expect(t.writer.object).toBe(t.name);
  });

  it('an object type nobody registered is a config error naming the file and the key path, never another object path', () => {
    const message = errorOf((c) => (c.syncs[1].object = 'quotes'));
    expect(message).toContain(FILE);
    expect(message).toContain('syncs.1.object');
    expect(message).toContain('unknown object type "quotes"');
    expect(message).toContain('contacts, companies, deals');
  });

  it('object: deals is a real deals path: the deals writer, its pipeline and its dealstage mapping are checked', () => {
    const project = load((c) => c.syncs.push(dealSync()));
    const deals = project.config.syncs.find((s) => s.object === 'deals')!;
    expect(OBJECT_WRITERS[deals.object].object).toBe('deals');
    expect(errorOf((c) => c.syncs.push(dealSync({ pipeline: undefined })))).toContain('syncs.2.pipeline: a deals sync needs its pipeline');
    const wrongOptions = dealSync();
    (wrongOptions.properties as any)[1].options = ['open', 'won'];
    expect(errorOf((c) => c.syncs.push(wrongOptions))).toContain("syncs.2.properties.1: dealstage must be an enumeration whose options are the pipeline's stage keys");
    expect(errorOf((c) => (c.syncs[0].pipeline = { label: 'x', stages }))).toContain('syncs.0.pipeline: only a deals sync has a pipeline');
    // Contacts keyed by a product key (as the demo's are) still map their email (how a contact is found the first time).
    expect(shipped.syncs[0]).toMatchObject({ key: 'user_id', identity_property: 'pqlsync_user_key' });
    expect(errorOf((c) => (c.syncs[0].properties = c.syncs[0].properties.filter((p: { property: string }) => p.property !== 'email')))).toContain(
      'syncs.0.properties: a contacts sync keyed by pqlsync_user_key maps a column to email',
    );
    // An update-only one (the handoff's owners) never finds nor creates a contact: no email needed.
    const owners = load((c) =>
      c.syncs.push({
        name: 'owners',
        model: 'handoff_owners',
        object: 'contacts',
        key: 'user_id',
        identity_property: 'pqlsync_user_key',
        mode: 'update',
        properties: [{ column: 'owner_id', property: 'hubspot_owner_id', type: 'string', label: 'Contact owner' }],
      }),
    );
    expect(owners.config.syncs.find((s) => s.name === 'owners')).toMatchObject({ mode: 'update', identity_property: 'pqlsync_user_key' });
    expect(errorOf((c) => c.syncs.push({ ...c.syncs[0], name: 'owners', mode: 'upsert', properties: [{ column: 'owner_id', property: 'hubspot_owner_id', type: 'string', label: 'Owner' }] }))).toContain(
      'a contacts sync keyed by pqlsync_user_key maps a column to email',
    );
  });

  it('associations name an existing sync of an object type HubSpot can associate; syncs run after the ones they depend on', () => {
    expect(errorOf((c) => c.syncs.push(dealSync({ associations: [{ to: 'nope', column: 'email' }] })))).toContain("syncs.2.associations.0.to: no sync named 'nope'");
    expect(errorOf((c) => (c.syncs[1].associations = [{ to: 'companies', column: 'domain' }]))).toContain('cannot associate companies with companies');
    expect(errorOf((c) => c.syncs.push(dealSync({ associations: [{ to: 'contacts', column: 'email', primary: true }] })))).toContain(
      'syncs.2.associations.0.primary: HubSpot has no primary label from deals to contacts',
    );
    const project = load((c) => {
      c.syncs.unshift(dealSync({ associations: [{ to: 'contacts', column: 'email' }, { to: 'companies', column: 'domain', primary: true }] }));
      c.syncs.find((s: any) => s.name === 'contacts').associations = [{ to: 'companies', column: 'company_domain' }];
    });
    expect(orderSyncs(project.config.syncs).map((s) => s.name)).toEqual(['companies', 'contacts', 'trial_deals']);
    expect(errorOf((c) => {
      c.syncs[0].associations = [{ to: 'companies', column: 'company_domain' }];
      c.syncs[1].associations = [{ to: 'contacts', column: 'email' }];
    })).toContain('syncs: the syncs\' associations form a cycle: contacts → companies → contacts');
  });
});
