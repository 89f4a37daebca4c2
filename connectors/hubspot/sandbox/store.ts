/**
 * The portal's data: records, property definitions and groups per object
 * type, and associations. Synchronous, so a batch applies atomically between
 * two requests. Routes validate before they write; the store keeps the
 * invariants HubSpot keeps (record ids, bookkeeping dates, unique values).
 */
import { AssociationGraph } from './associations.ts';
import { buildDefaultGroups, buildDefaultProperties, MODIFIED_DATE_PROPERTY } from './default-schema.ts';
import { OBJECT_TYPES, type ObjectTypeName } from './object-types.ts';
import { PipelineStore } from './pipelines.ts';
import type { PropertyDefinition, PropertyGroupDefinition, StoredRecord } from './types.ts';

export interface RecordState {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface ObjectTable {
  type: ObjectTypeName;
  records: Map<string, RecordState>;
  properties: Map<string, PropertyDefinition>;
  groups: Map<string, PropertyGroupDefinition>;
  /** property name → unique key → record id, for every property with hasUniqueValue. */
  uniqueIndex: Map<string, Map<string, string>>;
}

/** Emails (and only emails) are unique regardless of case, as HubSpot stores them lower case. */
export function toUniqueKey(property: string, value: string): string {
  return property === 'email' ? value.toLowerCase() : value;
}

/** Portal behaviours a test can turn on. */
export interface PortalSettings {
  /** What account-info answers as `portalId`. */
  portalId: number;
  /** A record appears in search results only this many ms after it was created (HubSpot: seconds). Default 0. */
  searchLagMs: number;
  /**
   * HubSpot's "create and associate companies with contacts" setting (on by default in a real
   * portal): a contact created with an email on a company domain is associated with the company
   * holding that domain, and one is created when none does (never for free-mail domains).
   */
  autoCreateCompanies: boolean;
  /**
   * Association limits an admin set (`from>to` → most records of type `to` one `from` record may
   * be associated with), as HubSpot allows since 2024: a pair past the limit is refused.
   */
  associationLimits: Record<string, number>;
  /** Whether properties on tasks may have unique values (default true; SandboxOptions.uniqueOnTasks). */
  uniqueOnTasks: boolean | 'ignored';
}

/** Free-mail domains HubSpot does not create companies from (a sample of its list). */
export const FREE_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'icloud.com', 'me.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.de', 'gmx.net', 'web.de', 'mail.com', 'yandex.ru', 'qq.com', '163.com',
]);

/** A HubSpot owner (a user records can be assigned to), as `GET /crm/v3/owners` shows it. */
export interface OwnerState {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  archived: boolean;
  teams: Array<{ id: string; name: string; primary: boolean }>;
  createdAt: string;
  updatedAt: string;
}

export class PortalStore {
  readonly associations = new AssociationGraph();
  /** Owner id → owner, archived ones included (HubSpot keeps them; `archived=true` lists them). */
  readonly owners = new Map<string, OwnerState>();
  readonly pipelines = new PipelineStore(new Date().toISOString());
  /** `type:merged id` → the id of the record it was merged into. */
  private readonly mergedInto = new Map<string, string>();
  /** Secondary email (lower case) → contact id. */
  private readonly secondaryEmails = new Map<string, string>();
  /** Backwards lifecycle-stage moves answered as a success and ignored, as HubSpot does. */
  lifecycleMovesIgnored = 0;
  readonly settings: PortalSettings = { portalId: 0, searchLagMs: 0, autoCreateCompanies: false, associationLimits: {}, uniqueOnTasks: true };
  private readonly tables = new Map<ObjectTypeName, ObjectTable>();
  // One counter for every type, so an id used on the wrong object type is a miss, as it would be in HubSpot.
  private nextId = 1001;
  /** How far the portal's clock is from the machine's (setClock): what HubSpot stamps dates with. */
  clockOffsetMs = 0;

  constructor() {
    const now = new Date().toISOString();
    for (const type of OBJECT_TYPES) {
      const properties = new Map(buildDefaultProperties(type, now).map((property) => [property.name, property]));
      const table: ObjectTable = {
        type,
        records: new Map(),
        properties,
        groups: new Map(buildDefaultGroups(type).map((group) => [group.name, group])),
        uniqueIndex: new Map(),
      };
      for (const property of properties.values()) if (property.hasUniqueValue) table.uniqueIndex.set(property.name, new Map());
      this.tables.set(type, table);
    }
  }

  table(type: ObjectTypeName): ObjectTable {
    return this.tables.get(type)!;
  }

  /** A live (not archived) record by id; an id merged away answers as the record it was merged into. */
  getRecord(type: ObjectTypeName, id: string): RecordState | undefined {
    const survivor = this.mergedInto.get(`${type}:${id}`);
    if (survivor !== undefined) return this.getRecord(type, survivor);
    const record = this.table(type).records.get(id);
    return record && !record.archived ? record : undefined;
  }

  /** A contact by its email, primary or secondary (`hs_additional_emails`), case-insensitive. */
  findContactByEmail(email: string): RecordState | undefined {
    const primary = this.findByUniqueValue('contacts', 'email', email);
    if (primary) return primary;
    const id = this.secondaryEmails.get(email.toLowerCase());
    return id === undefined ? undefined : this.getRecord('contacts', id);
  }

  /** Adds a secondary email to a contact, as a person does in HubSpot's UI. */
  addSecondaryEmail(contact: RecordState, email: string): void {
    const emails = new Set((contact.properties.hs_additional_emails ?? '').split(';').filter(Boolean));
    emails.add(email.toLowerCase());
    contact.properties.hs_additional_emails = [...emails].join(';');
    this.secondaryEmails.set(email.toLowerCase(), contact.id);
  }

  /**
   * Merges `merged` into `primary`, as HubSpot does: the primary keeps its values and gains the
   * other's email as a secondary one and its associations; the merged id is listed in
   * `hs_merged_object_ids` and answers as the primary from then on.
   */
  mergeRecords(type: ObjectTypeName, primary: RecordState, merged: RecordState): void {
    const email = merged.properties.email;
    const secondary = (merged.properties.hs_additional_emails ?? '').split(';').filter(Boolean);
    const mergedIds = [...(primary.properties.hs_merged_object_ids ?? '').split(';').filter(Boolean), merged.id];
    for (const a of this.associations.list(type, merged.id)) {
      for (const t of a.types) this.associations.add(type, primary.id, a.toObjectType as ObjectTypeName, a.toObjectId, t);
    }
    this.archiveRecord(type, merged);
    this.mergedInto.set(`${type}:${merged.id}`, primary.id);
    if (type === 'contacts') for (const e of [email, ...secondary]) if (e) this.addSecondaryEmail(primary, e);
    primary.properties.hs_merged_object_ids = mergedIds.join(';');
    this.updateRecord(type, primary, {});
  }

  findByUniqueValue(type: ObjectTypeName, property: string, value: string): RecordState | undefined {
    const id = this.table(type).uniqueIndex.get(property)?.get(toUniqueKey(property, value));
    return id === undefined ? undefined : this.getRecord(type, id);
  }

  /** The first unique value in `values` already held by another live record. */
  findUniqueConflict(
    type: ObjectTypeName,
    values: Record<string, string>,
    exceptId?: string,
  ): { property: string; value: string; existingId: string } | undefined {
    for (const [property, index] of this.table(type).uniqueIndex) {
      const value = values[property];
      if (!value) continue;
      const existingId = index.get(toUniqueKey(property, value));
      if (existingId !== undefined && existingId !== exceptId && this.getRecord(type, existingId)) {
        return { property, value, existingId };
      }
    }
    return undefined;
  }

  listRecords(type: ObjectTypeName): RecordState[] {
    return [...this.table(type).records.values()].filter((record) => !record.archived);
  }

  /** What search sees: records whose index entry has caught up (the portal's search lag). */
  listSearchable(type: ObjectTypeName, now = Date.now()): RecordState[] {
    const lag = this.settings.searchLagMs;
    return lag <= 0 ? this.listRecords(type) : this.listRecords(type).filter((record) => Date.parse(record.createdAt) + lag <= now);
  }

  /**
   * HubSpot's automatic company for a new contact (when the setting is on): the company that
   * holds the email's domain, or a new one; then the two are associated (unlabelled and primary).
   */
  associateCompanyFromEmail(contact: RecordState): void {
    if (!this.settings.autoCreateCompanies) return;
    const domain = contact.properties.email?.split('@')[1]?.toLowerCase();
    if (!domain || FREE_MAIL_DOMAINS.has(domain)) return;
    const bare = (d: string) => d.toLowerCase().replace(/^www\./, '');
    const company =
      this.listRecords('companies')
        .filter((c) => c.properties.domain && bare(c.properties.domain) === domain)
        .sort((a, b) => Number(a.id) - Number(b.id))[0] ?? this.createRecord('companies', { domain, name: domain });
    this.associations.add('contacts', contact.id, 'companies', company.id, { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 });
    this.associations.add('contacts', contact.id, 'companies', company.id, { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 });
  }

  /** Creates a record from validated values (`""` values are dropped: nothing to clear). */
  createRecord(type: ObjectTypeName, values: Record<string, string>): RecordState {
    const id = String(this.nextId++);
    const now = this.stampTime();
    const record: RecordState = { id, properties: {}, createdAt: now, updatedAt: now, archived: false };
    this.applyValues(type, record, values);
    record.properties.hs_object_id = id;
    record.properties.createdate = now;
    record.properties[MODIFIED_DATE_PROPERTY[type]] = now;
    this.table(type).records.set(id, record);
    return record;
  }

  /** Writes validated values onto a record; `""` clears a property. */
  updateRecord(type: ObjectTypeName, record: RecordState, values: Record<string, string>): RecordState {
    this.applyValues(type, record, values);
    const now = this.stampTime(record.updatedAt);
    record.updatedAt = now;
    record.properties[MODIFIED_DATE_PROPERTY[type]] = now;
    return record;
  }

  archiveRecord(type: ObjectTypeName, record: RecordState): void {
    record.archived = true;
    for (const [property, index] of this.table(type).uniqueIndex) {
      const value = record.properties[property];
      if (value !== undefined && index.get(toUniqueKey(property, value)) === record.id) index.delete(toUniqueKey(property, value));
    }
  }

  /**
   * Adds an owner. Its id becomes an option of every `hubspot_owner_id`, as HubSpot shows owners;
   * an archived owner stays an option (old records keep it) but cannot be assigned (write-plan.ts).
   */
  addOwner(owner: Omit<OwnerState, 'id' | 'userId' | 'createdAt' | 'updatedAt'>): OwnerState {
    const now = this.stampTime();
    const id = String(this.nextId++);
    const state: OwnerState = { ...owner, id, userId: 9_000_000 + this.owners.size, createdAt: now, updatedAt: now };
    this.owners.set(id, state);
    for (const type of OBJECT_TYPES) {
      const property = this.table(type).properties.get('hubspot_owner_id');
      if (property) property.options.push({ label: `${owner.firstName} ${owner.lastName}`.trim() || owner.email, value: id, displayOrder: property.options.length, hidden: false });
    }
    return state;
  }

  addProperty(type: ObjectTypeName, definition: PropertyDefinition): void {
    const table = this.table(type);
    table.properties.set(definition.name, definition);
    if (definition.hasUniqueValue && !table.uniqueIndex.has(definition.name)) table.uniqueIndex.set(definition.name, new Map());
  }

  addGroup(type: ObjectTypeName, group: PropertyGroupDefinition): void {
    this.table(type).groups.set(group.name, group);
  }

  /**
   * Now on the portal's clock, as an ISO timestamp; after `previous` (a record's own last date) by
   * at least a millisecond, so "updated after" comparisons of one record never tie. Records
   * written together may share a time, as in HubSpot (a clock that raced ahead of the machine's
   * under bulk writes would make every later write look newer than it is).
   */
  stampTime(previous?: string): string {
    const floor = previous ? Date.parse(previous) + 1 : 0;
    return new Date(Math.max(Date.now() + this.clockOffsetMs, floor)).toISOString();
  }

  private applyValues(type: ObjectTypeName, record: RecordState, values: Record<string, string>): void {
    const table = this.table(type);
    for (const [property, value] of Object.entries(values)) {
      const index = table.uniqueIndex.get(property);
      const previous = record.properties[property];
      if (index && previous !== undefined && index.get(toUniqueKey(property, previous)) === record.id) {
        index.delete(toUniqueKey(property, previous));
      }
      if (value === '') {
        delete record.properties[property];
        continue;
      }
      record.properties[property] = value;
      index?.set(toUniqueKey(property, value), record.id);
    }
  }
}

/** A detached copy for callers outside the sandbox. */
export function toStoredRecord(record: RecordState): StoredRecord {
  return { id: record.id, properties: { ...record.properties }, createdAt: record.createdAt, updatedAt: record.updatedAt };
}
