/**
 * Starts the sandbox: one in-memory portal behind an HTTP server on
 * 127.0.0.1, plus the read-back and seeding helpers tests use.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector } from './faults.ts';
import { Sleeper } from './http-io.ts';
import { resolveObjectType, type ObjectTypeName } from './object-types.ts';
import { RateLimiter } from './rate-limit.ts';
import { createRequestHandler, LateWrites } from './request-pipeline.ts';
import { ROUTES } from './routes/index.ts';
import { PortalStore, toStoredRecord, toUniqueKey } from './store.ts';
import type { PropertyDefinition, Sandbox, SandboxOptions, SandboxStats, StoredRecord } from './types.ts';
import { describeIssues, validatePropertyValues } from './validation.ts';
import { planUpdate } from './routes/write-plan.ts';
import { sequencesOf } from './sequences.ts';

const DEFAULTS = {
  port: 0,
  requestsPer10s: 100,
  windowMs: 10_000,
  dailyLimit: 250_000,
  searchPerSecond: 5,
  latencyMs: 0,
};

/** Properties compared case-insensitively by findByProperty, as HubSpot matches them. */
const CASE_INSENSITIVE_PROPERTIES = new Set(['email', 'domain']);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const store = new PortalStore();
  store.settings.portalId = options.portalId ?? 10_000_000 + Math.floor(Math.random() * 89_999_999);
  store.settings.searchLagMs = options.searchLagMs ?? 0;
  store.settings.autoCreateCompanies = options.autoCreateCompanies ?? false;
  store.settings.associationLimits = { ...options.associationLimits };
  store.settings.uniqueOnTasks = options.uniqueOnTasks ?? true;
  const limiter = new RateLimiter({
    requestsPerWindow: settings.requestsPer10s,
    windowMs: settings.windowMs,
    dailyLimit: settings.dailyLimit,
    searchPerSecond: settings.searchPerSecond,
  });
  const stats = createStats();
  const sleeper = new Sleeper();
  const lateWrites = new LateWrites();
  let faults = new FaultInjector(options.faults);

  const server = createServer(
    createRequestHandler({
      routes: ROUTES,
      store,
      limiter,
      stats,
      sleeper,
      currentFaults: () => faults,
      accessToken: options.accessToken,
      latencyMs: settings.latencyMs,
      lateWrites,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    portalId: store.settings.portalId,
    stats,
    resetStats: () => Object.assign(stats, createStats()),
    records: (objectType) => store.listRecords(requireType(objectType)).map(toStoredRecord),
    findByProperty: (objectType, property, value) => {
      const fold = CASE_INSENSITIVE_PROPERTIES.has(property) ? (text: string) => text.toLowerCase() : (text: string) => text;
      return store
        .listRecords(requireType(objectType))
        .filter((record) => record.properties[property] !== undefined && fold(record.properties[property]) === fold(value))
        .map(toStoredRecord);
    },
    findByUniqueValue: (objectType, property, value) => {
      const record = store.findByUniqueValue(requireType(objectType), property, value);
      return record ? toStoredRecord(record) : undefined;
    },
    properties: (objectType) => [...store.table(requireType(objectType)).properties.values()].map(copyDefinition),
    propertyGroups: (objectType) => [...store.table(requireType(objectType)).groups.values()].map(({ name, label }) => ({ name, label })),
    associations: (objectType, id) => store.associations.list(requireType(objectType), id),
    seedRecord: (objectType, properties) => seedRecord(store, requireType(objectType), properties),
    seedProperty: (objectType, def) => seedProperty(store, requireType(objectType), def),
    settings: store.settings,
    pipelines: () => store.pipelines.list().map((p) => ({ id: p.id, label: p.label, stages: p.stages.map((s) => ({ id: s.id, label: s.label, metadata: { ...s.metadata } })) })),
    editRecord: (objectType, id, properties) => editRecord(store, requireType(objectType), id, properties),
    setClock: (offsetMs) => {
      store.clockOffsetMs = offsetMs;
    },
    setFaults: (config) => {
      faults = new FaultInjector(config);
    },
    finishApplying: () => lateWrites.finish(),
    resetDaily: () => limiter.resetDaily(),
    spendDaily: (requests) => limiter.spendDaily(requests),
    addSecondaryEmail: (contactId, email) => {
      const contact = store.getRecord('contacts', contactId);
      if (!contact) throw new Error(`addSecondaryEmail: no contact ${contactId}`);
      store.addSecondaryEmail(contact, email);
    },
    lifecycleMovesIgnored: () => store.lifecycleMovesIgnored,
    setRateLimit: (limit) => limiter.reconfigure({ requestsPerWindow: limit.requestsPer10s, windowMs: limit.windowMs }),
    seedOwner: (owner) => {
      const state = store.addOwner({
        email: owner.email,
        firstName: owner.firstName ?? '',
        lastName: owner.lastName ?? '',
        archived: owner.archived ?? false,
        teams: (owner.teams ?? []).map((t) => ({ id: t.id, name: t.name, primary: t.primary ?? false })),
      });
      return { id: state.id, email: state.email };
    },
    archiveOwner: (id) => {
      const owner = store.owners.get(id);
      if (!owner) throw new Error(`no owner ${id}`);
      owner.archived = true;
      owner.updatedAt = store.stampTime();
    },
    sequences: {
      seed: (name, ownerEmail) => ({ id: sequencesOf(store).addSequence(name, ownerByEmail(store, ownerEmail).userId, store.stampTime()).id }),
      removeSeat: (ownerEmail) => {
        sequencesOf(store).unseated.add(ownerByEmail(store, ownerEmail).userId);
      },
      enrolments: () => [...sequencesOf(store).enrolments.values()].map(({ contactId, sequenceId, enrolledByEmail, toEmail }) => ({ contactId, sequenceId, enrolledByEmail, toEmail })),
    },
    stop: async () => {
      sleeper.cancelAll();
      lateWrites.cancel();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function ownerByEmail(store: PortalStore, email: string) {
  const owner = [...store.owners.values()].find((o) => o.email.toLowerCase() === email.toLowerCase());
  if (!owner) throw new Error(`no owner ${email}`);
  return owner;
}

function createStats(): SandboxStats {
  return { requests: 0, requestsByRoute: {}, recordsWritten: 0, rateLimited: 0, faultsInjected: 0 };
}

function requireType(objectType: string): ObjectTypeName {
  const type = resolveObjectType(objectType);
  if (!type) throw new Error(`Unknown object type "${objectType}": use contacts, companies or deals (or 0-1, 0-2, 0-3).`);
  return type;
}

/** Writes a record as an import would: same validation as the API, no stats, no rate limit. */
function seedRecord(store: PortalStore, type: ObjectTypeName, properties: Record<string, string>): StoredRecord {
  const { values, issues } = validatePropertyValues(store.table(type).properties, properties);
  if (issues.length > 0) throw new Error(`seedRecord(${type}): ${describeIssues(issues).message}`);
  const conflict = store.findUniqueConflict(type, values);
  if (conflict) throw new Error(`seedRecord(${type}): ${conflict.property} ${conflict.value} already belongs to record ${conflict.existingId}.`);
  return toStoredRecord(store.createRecord(type, values));
}

function editRecord(store: PortalStore, type: ObjectTypeName, id: string, properties: Record<string, string>): StoredRecord {
  const record = store.getRecord(type, id);
  if (!record) throw new Error(`editRecord(${type}): no record ${id}`);
  const outcome = planUpdate(store, type, record, properties);
  if (!outcome.ok) throw new Error(`editRecord(${type}, ${id}): ${outcome.failure.message}`);
  return toStoredRecord(store.updateRecord(type, record, outcome.write.values));
}

/** Adds (or replaces) a definition as if a portal admin had made it; unlike the API, no checks beyond the group. */
function seedProperty(
  store: PortalStore,
  type: ObjectTypeName,
  def: Partial<PropertyDefinition> & { name: string; type: string; fieldType: string },
): void {
  const table = store.table(type);
  const groupName = def.groupName ?? [...table.groups.keys()][0];
  if (!table.groups.has(groupName)) store.addGroup(type, { name: groupName, label: groupName, displayOrder: -1 });
  const now = store.stampTime();
  const definition: PropertyDefinition = {
    label: def.name,
    description: '',
    options: [],
    displayOrder: -1,
    hasUniqueValue: false,
    hidden: false,
    formField: false,
    hubspotDefined: false,
    readOnlyValue: false,
    readOnlyDefinition: false,
    createdAt: now,
    updatedAt: now,
    ...withoutUndefined(def),
    name: def.name,
    type: def.type,
    fieldType: def.fieldType,
    groupName,
  };
  store.addProperty(type, definition);
  // A seeded unique property starts its index from whatever records already hold.
  if (definition.hasUniqueValue) {
    const index = table.uniqueIndex.get(definition.name)!;
    for (const record of store.listRecords(type)) {
      const value = record.properties[definition.name];
      if (value !== undefined) index.set(toUniqueKey(definition.name, value), record.id);
    }
  }
}

function copyDefinition(definition: PropertyDefinition): PropertyDefinition {
  return { ...definition, options: definition.options.map((option) => ({ ...option })) };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
