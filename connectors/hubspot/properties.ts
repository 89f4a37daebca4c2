/**
 * The property group and the mapped properties. Everything is read first and checked;
 * a conflict (an existing property of another type, a read-only one, or an enumeration
 * outside our group that lacks options) is a DestinationError before anything is written
 * and long before any row is sent. Then the group is created where missing, missing
 * properties are created with the batch endpoint, and options missing from an enumeration
 * in our own group are added.
 */
import type { PropertyMapping, PropertyType } from '../../contracts/config.ts';
import type { HubSpotSyncTarget } from './config.ts';
import { ConfigError, DestinationError } from '../../contracts/errors.ts';
import { chunk } from './batch-writer.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import type { CallResult, Log, RequestExecutor } from './retry.ts';
import { identityProperty, OBJECT_TYPES, ownsIdentity } from './objects/object-types.ts';

type ObjectType = HubSpotSyncTarget['object'];

export interface PropertyGroupSpec {
  name: string;
  label: string;
}

/** An option as HubSpot's option input requires it: `hidden` is required (docs/hubspot.md, "Property options"). */
export interface OptionDef {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description?: string;
  options?: OptionDef[];
  formField: boolean;
  hasUniqueValue?: boolean;
}

/** A property a sync needs: a mapped column, or the pqlsync-owned identity (unique values). */
export type WantedProperty = PropertyMapping & { unique?: boolean };

/** What HubSpot answers for an existing property (the fields we read). */
export interface ExistingProperty {
  name: string;
  type: string;
  fieldType?: string;
  groupName?: string;
  options?: Array<{ label?: string; value: string; displayOrder?: number; hidden?: boolean }>;
  hasUniqueValue?: boolean;
  modificationMetadata?: { readOnlyValue?: boolean };
}

const FIELD_TYPES: Record<PropertyType, string> = {
  bool: 'booleancheckbox',
  enumeration: 'select',
  date: 'date',
  datetime: 'date',
  number: 'number',
  string: 'text',
};

/** 'sales_ready' → 'Sales ready'. */
export function optionLabel(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The HubSpot definition of a mapped property (type / fieldType pairs: docs/hubspot.md, "Property types"). */
export function propertyDefinition(mapping: WantedProperty, groupName: string): PropertyDef {
  const def: PropertyDef = {
    name: mapping.property,
    label: mapping.label,
    type: mapping.type,
    fieldType: FIELD_TYPES[mapping.type],
    groupName,
    formField: false,
    ...(mapping.unique ? { hasUniqueValue: true } : {}),
    ...(mapping.description ? { description: mapping.description } : {}),
  };
  if (mapping.type === 'bool') {
    def.options = [
      { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
      { label: 'No', value: 'false', displayOrder: 1, hidden: false },
    ];
  } else if (mapping.type === 'enumeration') {
    def.options = (mapping.options ?? []).map((value, displayOrder) => ({ label: optionLabel(value), value, displayOrder, hidden: false }));
  }
  return def;
}

/**
 * The mapped properties per object, merged across syncs: the same property mapped twice
 * must agree on its type (enumeration options are united).
 */
export function collectMappings(syncs: readonly HubSpotSyncTarget[]): Map<ObjectType, Map<string, WantedProperty>> {
  const out = new Map<ObjectType, Map<string, WantedProperty>>();
  for (const sync of syncs) {
    const props = out.get(sync.object) ?? new Map<string, WantedProperty>();
    out.set(sync.object, props);
    const info = OBJECT_TYPES[sync.object];
    // Several syncs may write through one identity (contacts and the handoff's contact syncs by
    // pqlsync_user_key): the first one describes it.
    if (ownsIdentity(sync) && !props.has(identityProperty(sync))) {
      const name = identityProperty(sync);
      // Written from the record's key, not from a model column.
      props.set(name, {
        column: 'pqlsync__key',
        property: name,
        type: 'string',
        label: info.identity.label,
        description: `Set by pqlsync: the key of this record in sync '${sync.name}'. Unique, so a repeated create updates the same record.`,
        unique: true,
      });
    }
    // Properties pqlsync writes through rules of its own (deal stage and pipeline) are checked elsewhere.
    for (const m of sync.properties.filter((p) => !info.managedProperties.includes(p.property))) {
      const seen = props.get(m.property);
      if (!seen) {
        props.set(m.property, m);
        continue;
      }
      if (seen.type !== m.type) {
        throw new ConfigError(
          `${sync.object} property ${m.property} is mapped as ${seen.type} and as ${m.type} (sync ${sync.name}); map it with one type everywhere`,
        );
      }
      if (m.type === 'enumeration') {
        props.set(m.property, { ...seen, options: [...new Set([...(seen.options ?? []), ...(m.options ?? [])])] });
      }
    }
  }
  return out;
}

/**
 * Mapped properties pqlsync would have to create under a name HubSpot keeps for its own: the
 * `hs_` prefix (docs/hubspot.md, "Reserved property names"). No retry can create them, so each is a
 * configuration error naming the sync, the column and the property. `exists` says whether the
 * portal already has a property (an existing `hs_` property is HubSpot's own, checked like any other).
 */
export function reservedPropertyProblems(syncs: readonly HubSpotSyncTarget[], exists: (object: ObjectType, property: string) => boolean): string[] {
  return syncs.flatMap((sync) =>
    sync.properties
      .filter((m) => m.property.startsWith('hs_') && !exists(sync.object, m.property))
      .map(
        (m) =>
          `sync '${sync.name}' maps column ${m.column} to ${sync.object} property ${m.property}, which the portal does not have: ` +
          `HubSpot reserves names starting with hs_ and refuses to create one; map the column to another name (e.g. ${m.property.replace(/^hs_/, '')})`,
      ),
  );
}

export interface PropertyPlan {
  object: ObjectType;
  createGroup: boolean;
  create: PropertyDef[];
  /**
   * Identity properties that exist without unique values on a type where HubSpot may refuse them
   * (tasks): used as they are, the sync then journals and reconciles its creates.
   */
  withoutUnique: string[];
  /** Enumerations in our group that lack options: the full option list to PATCH. */
  addOptions: Array<{ name: string; options: OptionDef[]; missing: string[] }>;
  conflicts: string[];
}

/** Compares what exists with what the mappings need. Pure. */
export function planProperties(
  object: ObjectType,
  mappings: Iterable<WantedProperty>,
  existing: readonly ExistingProperty[],
  existingGroups: readonly string[],
  group: PropertyGroupSpec,
): PropertyPlan {
  const byName = new Map(existing.map((p) => [p.name, p]));
  const plan: PropertyPlan = { object, createGroup: !existingGroups.includes(group.name), create: [], withoutUnique: [], addOptions: [], conflicts: [] };
  const mayRefuse = OBJECT_TYPES[object].identity.uniqueMayBeRefused !== undefined;
  for (const m of mappings) {
    const ex = byName.get(m.property);
    const wanted = propertyDefinition(m, group.name);
    if (!ex) {
      plan.create.push(wanted);
      continue;
    }
    if (m.unique && !ex.hasUniqueValue) {
      // A portal that refused or dropped the flag on tasks: the key is a plain value (docs/hubspot.md, "Tasks and unique values").
      if (mayRefuse && ex.type === 'string') plan.withoutUnique.push(m.property);
      else {
        plan.conflicts.push(
          `${object} property ${m.property} exists without unique values (hasUniqueValue cannot be changed once created); set identity_property in the sync to another name`,
        );
      }
      continue;
    }
    if (ex.type !== m.type) {
      plan.conflicts.push(
        `${object} property ${m.property} exists as type ${ex.type} (${ex.fieldType ?? '?'}) but pqlsync maps it as ${m.type} (${wanted.fieldType}); rename the mapped property or change its type in the sync`,
      );
      continue;
    }
    if (ex.modificationMetadata?.readOnlyValue) {
      plan.conflicts.push(`${object} property ${m.property} is read-only in HubSpot; map the column to another property`);
      continue;
    }
    if (m.type === 'enumeration') {
      const have = new Set((ex.options ?? []).map((o) => o.value));
      const missing = (m.options ?? []).filter((o) => !have.has(o));
      if (missing.length === 0) continue;
      if (ex.groupName === group.name) {
        // The PATCH replaces the option list: every existing option keeps its own flag.
        const options: OptionDef[] = (ex.options ?? []).map((o, i) => ({ label: o.label ?? optionLabel(o.value), value: o.value, displayOrder: o.displayOrder ?? i, hidden: o.hidden ?? false }));
        for (const value of missing) options.push({ label: optionLabel(value), value, displayOrder: options.length, hidden: false });
        plan.addOptions.push({ name: m.property, options, missing });
      } else {
        plan.conflicts.push(
          `${object} enumeration ${m.property} (group ${ex.groupName ?? '?'}, not pqlsync's) lacks the options ${missing.join(', ')}; add them in HubSpot or map another property`,
        );
      }
    }
  }
  return plan;
}

interface PropertyContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
  log?: Log;
}

function unwrap<T>(result: CallResult<T>, what: string): T {
  if (result.ok) return result.data;
  const message = result.kind === 'exhausted' ? result.message : result.failure.message;
  throw new DestinationError(`HubSpot: ${what} failed: ${message}`);
}

type CreateAnswer = { results?: ExistingProperty[]; errors?: Array<{ message?: string }> };

/**
 * Creates one batch of properties. An identity HubSpot may refuse unique values for (tasks) and
 * did refuse, or created without the flag, is created (or kept) as a plain property and named in
 * `plan.withoutUnique`: the sync then journals its creates.
 */
async function createProperties(
  ctx: PropertyContext,
  object: ObjectType,
  batch: PropertyDef[],
  readPlan: (object: ObjectType) => Promise<PropertyPlan>,
  plan: PropertyPlan,
): Promise<void> {
  const { properties: api } = ctx.apis;
  const create = async (defs: PropertyDef[]) =>
    unwrap(
      await ctx.exec.run<CreateAnswer>('crm', `${object} create properties (${defs.length})`, (o) => api.batchApi.createWithHttpInfo(object, { inputs: defs as never }, o)),
      `creating ${object} properties ${defs.map((p) => p.name).join(', ')}`,
    );
  const result = await create(batch);
  // Created, but the answer says without unique values: the portal dropped the flag.
  for (const created of result.results ?? []) {
    if (batch.some((b) => b.name === created.name && b.hasUniqueValue) && created.hasUniqueValue !== true) plan.withoutUnique.push(created.name);
  }
  let errors = result.errors ?? [];
  if (errors.length > 0) {
    // "already exists" after a retry whose first answer was lost is what we wanted;
    // read again and fail only for what is still missing or wrong.
    let again = await readPlan(object);
    let missing = again.create.filter((p) => batch.some((b) => b.name === p.name));
    const refused = OBJECT_TYPES[object].identity.uniqueMayBeRefused ? missing.filter((p) => p.hasUniqueValue) : [];
    if (refused.length > 0 && again.conflicts.length === 0) {
      // The portal refuses unique values here (tasks): the key becomes a plain property.
      const plain = refused.map(({ hasUniqueValue: _unique, ...def }) => def);
      ctx.log?.({ level: 'info', msg: `HubSpot refused unique values for ${object} property ${plain.map((p) => p.name).join(', ')} (${errors.map((e) => e.message).join('; ')}); creating it without them` });
      const second = await create(plain);
      again = await readPlan(object);
      missing = again.create.filter((p) => batch.some((b) => b.name === p.name));
      plan.withoutUnique.push(...again.withoutUnique.filter((name) => refused.some((r) => r.name === name)));
      if (missing.length === 0) errors = [];
      else errors = [...errors, ...(second.errors ?? [])];
    }
    if (missing.length > 0 || again.conflicts.length > 0) {
      throw new DestinationError(
        `HubSpot refused to create ${object} properties: ${errors.map((e) => e.message).join('; ')}${again.conflicts.length > 0 ? `\n- ${again.conflicts.join('\n- ')}` : ''}`,
      );
    }
  }
  ctx.log?.({ level: 'info', msg: `created ${object} properties ${batch.map((p) => p.name).join(', ')}` });
}

export async function ensureHubSpotProperties(ctx: PropertyContext, syncs: readonly HubSpotSyncTarget[], group: PropertyGroupSpec): Promise<PropertyPlan[]> {
  const { properties: api } = ctx.apis;
  const plans: PropertyPlan[] = [];
  const all = collectMappings(syncs);
  const readPlan = async (object: ObjectType): Promise<PropertyPlan> => {
    const existing = unwrap(await ctx.exec.run<{ results?: ExistingProperty[] }>('crm', `${object} properties`, (o) => api.coreApi.getAllWithHttpInfo(object, false, undefined, o)), `reading the ${object} properties`);
    const mapped = [...all.get(object)!.values()];
    // A mapped property already in our group proves the group exists: the usual run reads once.
    const inGroup = (existing.results ?? []).some((p) => p.groupName === group.name && mapped.some((m) => m.property === p.name));
    const groupNames = inGroup
      ? [group.name]
      : (unwrap(await ctx.exec.run<{ results?: Array<{ name: string }> }>('crm', `${object} property groups`, (o) => api.groupsApi.getAllWithHttpInfo(object, o)), `reading the ${object} property groups`).results ?? []).map((g) => g.name);
    return planProperties(object, mapped, existing.results ?? [], groupNames, group);
  };
  // Read and check every object before writing anything.
  for (const object of all.keys()) plans.push(await readPlan(object));
  const reserved = reservedPropertyProblems(syncs, (object, name) => !plans.some((p) => p.object === object && p.create.some((c) => c.name === name)));
  if (reserved.length > 0) throw new ConfigError(`pqlsync.yml maps properties HubSpot will not create; nothing was sent:\n- ${reserved.join('\n- ')}`);
  const conflicts = plans.flatMap((p) => p.conflicts);
  if (conflicts.length > 0) {
    throw new DestinationError(`HubSpot properties conflict with the sync configuration; nothing was sent:\n- ${conflicts.join('\n- ')}`);
  }

  for (const plan of plans) {
    const { object } = plan;
    if (plan.createGroup) {
      const created = await ctx.exec.run('crm', `${object} create property group`, (o) =>
        api.groupsApi.createWithHttpInfo(object, { name: group.name, label: group.label }, o),
      );
      // 409: created meanwhile (another run) — what we wanted.
      if (!created.ok && !(created.kind === 'rejected' && created.failure.status === 409)) unwrap(created, `creating the ${object} property group ${group.name}`);
      ctx.log?.({ level: 'info', msg: `created the ${object} property group ${group.name}` });
    }
    for (const batch of chunk(plan.create, HUBSPOT_LIMITS.propertyBatchSize)) {
      await createProperties(ctx, object, batch, readPlan, plan);
    }
    for (const patch of plan.addOptions) {
      unwrap(
        await ctx.exec.run('crm', `${object} add options to ${patch.name}`, (o) =>
          api.coreApi.updateWithHttpInfo(object, patch.name, { options: patch.options }, o),
        ),
        `adding options ${patch.missing.join(', ')} to ${object} property ${patch.name}`,
      );
      ctx.log?.({ level: 'info', msg: `added options ${patch.missing.join(', ')} to ${object} property ${patch.name}` });
    }
  }
  return plans;
}
