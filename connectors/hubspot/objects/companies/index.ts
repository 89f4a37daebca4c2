/** Companies: found by normalised domain when they existed before pqlsync, then keyed by a property pqlsync owns (./writer.ts). */
import { buildBookkeeping, buildOptions, LIFECYCLE_STAGES, ownerProperty } from '../../sandbox/schema-parts.ts';
import { crmScopes, defineObjectType } from '../object-type.ts';
import { companiesWriter } from './writer.ts';

const GROUP = 'companyinformation';

export const companies = defineObjectType({
  name: 'companies',
  typeId: '0-2',
  singular: 'company',
  identity: { property: 'pqlsync_account_key', ownedByPqlsync: true, label: 'pqlsync account key' },
  managedProperties: [],
  modifiedDate: 'hs_lastmodifieddate',
  associations: { contacts: { typeId: 280, inverseTypeId: 279 } },
  capabilities: {},
  scopes: crmScopes('companies'),
  writer: companiesWriter,
  sandbox: {
    groups: [{ name: GROUP, label: 'Company information', displayOrder: -1 }],
    properties: [
      { name: 'name', label: 'Company name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'domain', label: 'Company Domain Name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'city', label: 'City', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'country', label: 'Country/Region', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number', groupName: GROUP },
      { name: 'annualrevenue', label: 'Annual Revenue', type: 'number', fieldType: 'number', groupName: GROUP },
      { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', groupName: GROUP, options: buildOptions(LIFECYCLE_STAGES) },
      ownerProperty(GROUP),
      ...buildBookkeeping(GROUP, 'hs_lastmodifieddate'),
    ],
    readDefaults: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
    searchable: ['name', 'domain', 'website', 'phone'],
  },
});
