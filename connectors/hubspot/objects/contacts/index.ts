/** Contacts: people, identified by HubSpot's own unique email or by a product key pqlsync owns (./writer.ts). */
import { buildBookkeeping, buildOptions, LIFECYCLE_STAGES, ownerProperty } from '../../sandbox/schema-parts.ts';
import { crmScopes, defineObjectType } from '../object-type.ts';
import { contactsWriter } from './writer.ts';

const GROUP = 'contactinformation';

export const contacts = defineObjectType({
  name: 'contacts',
  typeId: '0-1',
  singular: 'contact',
  identity: { property: 'email', ownedByPqlsync: false, label: 'pqlsync person key', ownable: true },
  // The owner is an id of the portal's owners (pqlsync routes them, src/handoff): not a property pqlsync creates.
  managedProperties: ['hubspot_owner_id'],
  modifiedDate: 'lastmodifieddate',
  associations: { companies: { typeId: 279, inverseTypeId: 280, primaryTypeId: 1, primaryInverseTypeId: 2 } },
  capabilities: {},
  scopes: crmScopes('contacts'),
  writer: contactsWriter,
  sandbox: {
    groups: [
      { name: GROUP, label: 'Contact information', displayOrder: -1 },
      { name: 'conversioninformation', label: 'Conversion information', displayOrder: -1 },
    ],
    properties: [
      // HubSpot enforces email uniqueness itself; the sandbox models that as a unique-value property.
      { name: 'email', label: 'Email', type: 'string', fieldType: 'text', groupName: GROUP, hasUniqueValue: true },
      { name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'company', label: 'Company Name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', groupName: GROUP },
      { name: 'jobtitle', label: 'Job Title', type: 'string', fieldType: 'text', groupName: GROUP },
      // Calculated by HubSpot (a person adds a secondary email, a merge keeps the other's): `;`-separated.
      { name: 'hs_additional_emails', label: 'Additional email addresses', type: 'string', fieldType: 'textarea', groupName: GROUP, readOnlyValue: true },
      { name: 'hs_merged_object_ids', label: 'Merged record IDs', type: 'string', fieldType: 'textarea', groupName: GROUP, readOnlyValue: true },
      { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', groupName: GROUP, options: buildOptions(LIFECYCLE_STAGES) },
      ownerProperty(GROUP),
      ...buildBookkeeping(GROUP, 'lastmodifieddate'),
    ],
    readDefaults: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    searchable: ['email', 'firstname', 'lastname', 'phone', 'company'],
  },
});
