/**
 * The properties and groups a new HubSpot portal already has, limited to the
 * ones pqlsync and its tests touch. Everything else a portal has is left out:
 * an unknown property must fail here as it would on a portal without it.
 */
import type { ObjectTypeName } from './object-types.ts';
import type { PropertyDefinition, PropertyGroupDefinition, PropertyOption } from './types.ts';

type DefaultProperty = Pick<PropertyDefinition, 'name' | 'label' | 'type' | 'fieldType' | 'groupName'> &
  Partial<Pick<PropertyDefinition, 'hasUniqueValue' | 'readOnlyValue' | 'options'>>;

const LIFECYCLE_STAGES = [
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
    { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      groupName: 'contactinformation',
      options: buildOptions(LIFECYCLE_STAGES),
    },
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
    ...buildBookkeeping('companyinformation', 'hs_lastmodifieddate'),
  ],
  deals: [
    { name: 'dealname', label: 'Deal Name', type: 'string', fieldType: 'text', groupName: 'dealinformation' },
    { name: 'amount', label: 'Amount', type: 'number', fieldType: 'number', groupName: 'dealinformation' },
    { name: 'closedate', label: 'Close Date', type: 'datetime', fieldType: 'date', groupName: 'dealinformation' },
    { name: 'pipeline', label: 'Pipeline', type: 'enumeration', fieldType: 'select', groupName: 'dealinformation', options: buildOptions(['default']) },
    { name: 'dealstage', label: 'Deal Stage', type: 'enumeration', fieldType: 'radio', groupName: 'dealinformation', options: buildOptions(DEAL_STAGES) },
    ...buildBookkeeping('dealinformation', 'hs_lastmodifieddate'),
  ],
};

/** The properties a record shows when a read names none, as HubSpot does. */
export const DEFAULT_READ_PROPERTIES: Record<ObjectTypeName, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
};

/** The read-only date property HubSpot bumps on every write. */
export const MODIFIED_DATE_PROPERTY: Record<ObjectTypeName, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
  deals: 'hs_lastmodifieddate',
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
