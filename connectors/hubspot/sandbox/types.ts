/**
 * The sandbox's public contract: what tests, the demo and the benchmarks code
 * against. Everything HubSpot-shaped on the wire lives in the route modules;
 * these types describe the sandbox itself.
 */

export interface SandboxOptions {
  /** 0 (default) = a random free port on 127.0.0.1. */
  port?: number;
  /** Requests admitted per rolling window: 100 (Free/Starter, default) or 190 (Professional/Enterprise). */
  requestsPer10s?: number;
  /** Length of the rolling window in ms, default 10_000; tests shorten it. Reported in X-HubSpot-RateLimit-Interval-Milliseconds. */
  windowMs?: number;
  /** Requests per day, default 250_000; once used up every call is a 429 DAILY until resetDaily(). */
  dailyLimit?: number;
  /** Search's own limit per second, default 5; the second is compressed like the window (windowMs / 10_000). */
  searchPerSecond?: number;
  /** When set, any other bearer token (or none) gets HubSpot's 401. When unset, any token is accepted. */
  accessToken?: string;
  /** Deterministic fault injection on /crm/ routes. */
  faults?: FaultConfig;
  /** Added to every response, default 0. */
  latencyMs?: number;
  /**
   * A new record shows in search results only this many ms after it is created (HubSpot's index
   * lags by seconds). Default 0. Changes to existing records are searchable at once (a simplification).
   */
  searchLagMs?: number;
  /**
   * HubSpot's "create and associate companies with contacts" portal setting (on by default in a
   * real portal, off by default here): a contact created with an email on a company domain is
   * associated with the company that has that domain, created if none has (never for free-mail).
   */
  autoCreateCompanies?: boolean;
  /** Association limits per `from>to` (e.g. `{ 'deals>companies': 1 }`), as a portal admin can set them. */
  associationLimits?: Record<string, number>;
  /**
   * The portal id `GET /account-info/v3/details` answers. Default: a random one per sandbox, so two
   * sandboxes are two portals, as a test account and a production account are.
   */
  portalId?: number;
  /**
   * Whether a property created on tasks may have unique values (default true). HubSpot documents
   * unique-value properties for companies, deals, tickets, custom objects and contacts, not for
   * activities; false makes the sandbox refuse `hasUniqueValue` on tasks as HubSpot refuses a
   * property create (400 VALIDATION_ERROR), so pqlsync can be tested against such a portal;
   * 'ignored' creates the property without the flag and says nothing. Either way task keys are then
   * plain values: two tasks may hold the same one, and a create sent twice makes two tasks.
   */
  uniqueOnTasks?: boolean | 'ignored';
}

export interface SandboxStats {
  /** Every HTTP request received, whatever its outcome (faults, 401 and 429 included). */
  requests: number;
  /** Per route, keyed `METHOD path` with the object type canonical and ids as `{name}`, e.g. `POST /crm/v3/objects/contacts/batch/upsert`. */
  requestsByRoute: Record<string, number>;
  /** Records created or updated through the API (seeds not counted). */
  recordsWritten: number;
  /** Requests answered 429 by the rate limits (ten-secondly, daily, search); injected 429s count as faults. */
  rateLimited: number;
  /** Requests that a fault rule fired on. */
  faultsInjected: number;
}

export interface StoredRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  /** bool | enumeration | date | datetime | number | string (phone_number is treated as string). */
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  /** Set on HubSpot's own properties only. */
  hubspotDefined: boolean;
  /** The API refuses values for this property (hs_object_id, createdate, ...). */
  readOnlyValue: boolean;
  /** The definition itself cannot be changed or archived. */
  readOnlyDefinition: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PropertyGroupDefinition {
  name: string;
  label: string;
  displayOrder: number;
}

export interface StoredAssociation {
  toObjectType: string;
  toObjectId: string;
  types: { associationCategory: string; associationTypeId: number }[];
}

export type FaultKind =
  /**
   * An error status, with HubSpot's JSON envelope unless:
   * - htmlBody: a gateway's text/html page. The client still throws an ApiException with that code, but its
   *   `body` is the HTML string, not an envelope;
   * - emptyBody: no body and no Content-Type, as some load balancers answer. The client then throws a plain
   *   Error ("Cannot parse content. No Content-Type defined."), not an ApiException.
   */
  | {
      type: 'status';
      status: 429 | 500 | 502 | 503 | 504 | 423;
      retryAfterSeconds?: number;
      htmlBody?: boolean;
      emptyBody?: boolean;
      /** Apply the request, then answer this status (a gateway that gave up while HubSpot wrote): an uncertain answer. */
      applied?: boolean;
    }
  /** Destroy the socket before anything is applied. */
  | { type: 'reset' }
  /** Apply the request, then destroy the socket: the client sees a network error for a write that landed. */
  | { type: 'lost-response' }
  /** Apply the request, then hold the response for delayMs (past the client's timeout). */
  | { type: 'slow'; delayMs: number }
  /**
   * HubSpot still writing when the answer goes out: a gateway gives up (`answer`: a 5xx) or the
   * connection drops (`answer: 'reset'`) while the request, admitted and counted, is applied
   * `afterMs` later (or at `finishApplying()`). A read made in between does not see the write.
   */
  | { type: 'applied-late'; answer: 500 | 502 | 503 | 504 | 'reset'; afterMs: number }
  /** Expired token (401) or missing scopes (403, category MISSING_SCOPES). */
  | { type: 'auth'; status: 401 | 403 }
  /** 429 DAILY from this request on, until resetDaily(). */
  | { type: 'daily-exhausted' };

export interface FaultRule {
  fault: FaultKind;
  /** Chance in [0, 1] that the rule fires on a candidate request, drawn from the seeded PRNG. Default 1. */
  probability?: number;
  /** 1-based indices among the requests this rule matches; only those are candidates. Default: every match. */
  onRequests?: number[];
  /** Only requests whose path contains this string match. */
  pathIncludes?: string;
  /** The rule fires at most this many times. */
  maxTimes?: number;
}

export interface FaultConfig {
  /** Seed for the PRNG behind `probability`; the same seed and request sequence give the same faults. Default 1. */
  seed?: number;
  /** Checked in order; the first rule that fires wins. */
  rules: FaultRule[];
}

export interface Sandbox {
  /** 'http://127.0.0.1:PORT': pass as basePath to the client. */
  url: string;
  /** This portal's id (see SandboxOptions.portalId). */
  portalId: number;
  port: number;
  /** Live counters. */
  stats: SandboxStats;
  resetStats(): void;
  /** What the portal holds (archived records left out). objectType: 'contacts' | 'companies' | 'deals' or a type id. */
  records(objectType: string): StoredRecord[];
  /** Records whose property equals value; case-insensitive for email and domain. */
  findByProperty(objectType: string, property: string, value: string): StoredRecord[];
  /** The record holding a unique value (email for contacts, or a unique-value property), by the portal's index: cheap at any size. */
  findByUniqueValue(objectType: string, property: string, value: string): StoredRecord | undefined;
  /** Property definitions, HubSpot's defaults included. */
  properties(objectType: string): PropertyDefinition[];
  propertyGroups(objectType: string): { name: string; label: string }[];
  /** Associations of one record, in both directions (inverse type ids where HubSpot defines them). */
  associations(objectType: string, id: string): StoredAssociation[];
  /** Pre-existing data, as if created by marketing or an import (not counted in stats). Throws on invalid values. */
  seedRecord(objectType: string, properties: Record<string, string>): StoredRecord;
  seedProperty(objectType: string, def: Partial<PropertyDefinition> & { name: string; type: string; fieldType: string }): void;
  setFaults(faults: FaultConfig | undefined): void;
  /** Applies at once every write an `applied-late` fault still holds, as if its time had come; answers how many. */
  finishApplying(): number;
  /** The portal's behaviours, changeable while it runs. */
  settings: { searchLagMs: number; autoCreateCompanies: boolean; associationLimits: Record<string, number>; uniqueOnTasks: boolean | 'ignored' };
  /** Deal pipelines, the default one included. */
  pipelines(): Array<{ id: string; label: string; stages: Array<{ id: string; label: string; metadata: Record<string, string> }> }>;
  /** Changes a record as a person would in HubSpot's UI (validated like the API; not counted in stats). */
  editRecord(objectType: string, id: string, properties: Record<string, string>): StoredRecord;
  /**
   * Sets the portal's clock `offsetMs` from the machine's, for the dates it stamps from now on
   * (createdate, last-modified; a record's own dates never go backwards): HubSpot's clock apart from pqlsync's, or a
   * write a minute later without waiting for it.
   */
  setClock(offsetMs: number): void;
  resetDaily(): void;
  /** Requests the portal's other apps made today: they count against the same daily limit. */
  spendDaily(requests: number): void;
  /** Adds a secondary email to a contact (hs_additional_emails), as a person does in HubSpot's UI. */
  addSecondaryEmail(contactId: string, email: string): void;
  /** Backwards lifecycle-stage moves received (answered as a success, the held stage kept). */
  lifecycleMovesIgnored(): number;
  /**
   * Changes the rolling window while the portal runs (a benchmark's first sync at a compressed
   * window, then HubSpot's own); requests already in the window stay counted.
   */
  setRateLimit(limit: { requestsPer10s?: number; windowMs?: number }): void;
  /** Adds an owner (a HubSpot user records can be assigned to); its id is what `hubspot_owner_id` holds. */
  seedOwner(owner: { email: string; firstName?: string; lastName?: string; archived?: boolean; teams?: Array<{ id: string; name: string; primary?: boolean }> }): { id: string; email: string };
  /** Archives an owner, as when the user is removed from the portal: it can no longer be assigned. */
  archiveOwner(id: string): void;
  /** Sales sequences (routes/sequences.routes.ts): seed them, take a user's seat away, read the enrolments. */
  sequences: {
    seed(name: string, ownerEmail: string): { id: string };
    removeSeat(ownerEmail: string): void;
    /** Contact id → the sequence it is enrolled in. */
    enrolments(): Array<{ contactId: string; sequenceId: string; enrolledByEmail: string; toEmail: string }>;
  };
  stop(): Promise<void>;
}
