/**
 * The properties and groups a new HubSpot portal already has, limited to the
 * ones pqlsync and its tests touch. Everything else a portal has is left out:
 * an unknown property must fail here as it would on a portal without it.
 */
import type { ObjectTypeName } from './object-types.ts';
import type { PropertyDefinition, PropertyGroupDefinition, PropertyOption } from './types.ts';

type DefaultProperty = Pick<PropertyDefinition, 'name' | 'label' | 'type' | 'fieldType' | 'groupName'> &
  Partial<Pick<PropertyDefinition, 'hasUniqueValue' | 'readOnlyValue' | 'options'>>;

/** In HubSpot's order: a record's lifecycle stage only moves forward through this list (see write-plan.ts). */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];

const DEAL_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
];

/** HubSpot's task values (tasks API guide): status, priority and type are enumerations of these. */
const TASK_STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'];
const TASK_PRIORITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
const TASK_TYPES = ['TODO', 'CALL', 'EMAIL'];

/** `hubspot_owner_id`: an enumeration whose options are the portal's owners (filled in as owners are added). */
function ownerProperty(groupName: string): DefaultProperty {
  return { name: 'hubspot_owner_id', label: 'Owner', type: 'enumeration', fieldType: 'select', groupName, options: [] };
}

function buildOptions(values: string[]): PropertyOption[] {
  return values.map((value, index) => ({ label: value, value, displayOrder: index, hidden: false }));
}

/** Read-only bookkeeping every object carries; companies and deals name the modified date differently from contacts. */
function buildBookkeeping(groupName: string, modifiedName: string): DefaultProperty[] {
  return [
    { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName, readOnlyValue: true },
    { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName, readOnlyValue: true },
    { name: modifiedName, label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName, readOnlyValue: true },
  ];
}

const DEFAULT_GROUPS: Record<ObjectTypeName, PropertyGroupDefinition[]> = {
  contacts: [
    { name: 'contactinformation', label: 'Contact information', displayOrder: -1 },
    { name: 'conversioninformation', label: 'Conversion information', displayOrder: -1 },
  ],
  companies: [{ name: 'companyinformation', label: 'Company information', displayOrder: -1 }],
  deals: [{ name: 'dealinformation', label: 'Deal information', displayOrder: -1 }],
  tasks: [{ name: 'taskinformation', label: 'Task information', displayOrder: -1 }],
};

const DEFAULT_PROPERTIES: Record<ObjectTypeName, DefaultProperty[]> = {
  contacts: [
    // HubSpot enforces email uniqueness itself; the sandbox models that as a unique-value property.
    { name: 'email', label: 'Email', type: 'string', fieldType: 'text', groupName: 'contactinformation', hasUniqueValue: true },
    { name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    { name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    { name: 'company', label: 'Company Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation' },
    { name: 'jobtitle', label: 'Job Title', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    // Calculated by HubSpot (a person adds a secondary email, a merge keeps the other's): `;`-separated.
    { name: 'hs_additional_emails', label: 'Additional email addresses', type: 'string', fieldType: 'textarea', groupName: 'contactinformation', readOnlyValue: true },
    { name: 'hs_merged_object_ids', label: 'Merged record IDs', type: 'string', fieldType: 'textarea', groupName: 'contactinformation', readOnlyValue: true },
    { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      groupName: 'contactinformation',
      options: buildOptions(LIFECYCLE_STAGES),
    },
    ownerProperty('contactinformation'),
    ...buildBookkeeping('contactinformation', 'lastmodifieddate'),
  ],
  companies: [
    { name: 'name', label: 'Company name', type: 'string', fieldType: 'text', groupName: 'companyinformation' },
    { name: 'domain', label: 'Company Domain Name', type: 'string', fieldType: 'text', groupName: 'companyinformation' },
    { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: 'companyinformation' },
    { name: 'city', label: 'City', type: 'string', fieldType: 'text', groupName: 'companyinformation' },
    { name: 'country', label: 'Country/Region', type: 'string', fieldType: 'text', groupName: 'companyinformation' },
    { name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number', groupName: 'companyinformation' },
    { name: 'annualrevenue', label: 'Annual Revenue', type: 'number', fieldType: 'number', groupName: 'companyinformation' },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      groupName: 'companyinformation',
      options: buildOptions(LIFECYCLE_STAGES),
    },
    ownerProperty('companyinformation'),
    ...buildBookkeeping('companyinformation', 'hs_lastmodifieddate'),
  ],
  deals: [
    { name: 'dealname', label: 'Deal Name', type: 'string', fieldType: 'text', groupName: 'dealinformation' },
    { name: 'amount', label: 'Amount', type: 'number', fieldType: 'number', groupName: 'dealinformation' },
    { name: 'closedate', label: 'Close Date', type: 'datetime', fieldType: 'date', groupName: 'dealinformation' },
    { name: 'pipeline', label: 'Pipeline', type: 'enumeration', fieldType: 'select', groupName: 'dealinformation', options: buildOptions(['default']) },
    { name: 'dealstage', label: 'Deal Stage', type: 'enumeration', fieldType: 'radio', groupName: 'dealinformation', options: buildOptions(DEAL_STAGES) },
    ownerProperty('dealinformation'),
    ...buildBookkeeping('dealinformation', 'hs_lastmodifieddate'),
  ],
  tasks: [
    // hs_timestamp is the due time and is required to create a task (tasks API guide).
    { name: 'hs_timestamp', label: 'Due date', type: 'datetime', fieldType: 'date', groupName: 'taskinformation' },
    { name: 'hs_task_subject', label: 'Task Title', type: 'string', fieldType: 'text', groupName: 'taskinformation' },
    { name: 'hs_task_body', label: 'Notes', type: 'string', fieldType: 'textarea', groupName: 'taskinformation' },
    { name: 'hs_task_status', label: 'Task Status', type: 'enumeration', fieldType: 'select', groupName: 'taskinformation', options: buildOptions(TASK_STATUSES) },
    { name: 'hs_task_priority', label: 'Priority', type: 'enumeration', fieldType: 'select', groupName: 'taskinformation', options: buildOptions(TASK_PRIORITIES) },
    { name: 'hs_task_type', label: 'Task Type', type: 'enumeration', fieldType: 'select', groupName: 'taskinformation', options: buildOptions(TASK_TYPES) },
    ownerProperty('taskinformation'),
    ...buildBookkeeping('taskinformation', 'hs_lastmodifieddate'),
  ],
};

/** The properties a record shows when a read names none, as HubSpot does. */
export const DEFAULT_READ_PROPERTIES: Record<ObjectTypeName, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  tasks: ['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_task_status', 'hs_task_subject', 'hs_timestamp'],
};

/** The read-only date property HubSpot bumps on every write. */
export const MODIFIED_DATE_PROPERTY: Record<ObjectTypeName, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
  deals: 'hs_lastmodifieddate',
  tasks: 'hs_lastmodifieddate',
};

export function buildDefaultGroups(type: ObjectTypeName): PropertyGroupDefinition[] {
  return DEFAULT_GROUPS[type].map((group) => ({ ...group }));
}

export function buildDefaultProperties(type: ObjectTypeName, now: string): PropertyDefinition[] {
  return DEFAULT_PROPERTIES[type].map((property) => ({
    description: '',
    options: [],
    displayOrder: -1,
    hasUniqueValue: false,
    hidden: false,
    formField: !property.readOnlyValue,
    hubspotDefined: true,
    readOnlyValue: false,
    createdAt: now,
    updatedAt: now,
    ...property,
    // Labels of HubSpot's editable properties can be changed; the bookkeeping ones are fixed.
    readOnlyDefinition: property.readOnlyValue === true,
  }));
}
