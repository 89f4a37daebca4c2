/** Deals: one per trial, keyed by a property pqlsync owns, in the pipeline the sync declares; the stage only moves forward (./writer.ts). */
import { buildBookkeeping, buildOptions, ownerProperty } from '../../sandbox/schema-parts.ts';
import { crmScopes, defineObjectType } from '../object-type.ts';
import { dealsWriter } from './writer.ts';

const GROUP = 'dealinformation';

/** The stages of a new portal's default sales pipeline. */
const DEAL_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];

export const deals = defineObjectType({
  name: 'deals',
  typeId: '0-3',
  singular: 'deal',
  identity: { property: 'pqlsync_deal_key', ownedByPqlsync: true, label: 'pqlsync deal key' },
  managedProperties: ['dealstage', 'pipeline', 'hubspot_owner_id'],
  modifiedDate: 'hs_lastmodifieddate',
  associations: {
    contacts: { typeId: 3, inverseTypeId: 4 },
    companies: { typeId: 341, inverseTypeId: 342, primaryTypeId: 5, primaryInverseTypeId: 6 },
  },
  capabilities: { pipeline: { stageProperty: 'dealstage', pipelineProperty: 'pipeline' } },
  scopes: crmScopes('deals'),
  writer: dealsWriter,
  sandbox: {
    groups: [{ name: GROUP, label: 'Deal information', displayOrder: -1 }],
    properties: [
      { name: 'dealname', label: 'Deal Name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'amount', label: 'Amount', type: 'number', fieldType: 'number', groupName: GROUP },
      { name: 'closedate', label: 'Close Date', type: 'datetime', fieldType: 'date', groupName: GROUP },
      { name: 'pipeline', label: 'Pipeline', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(['default']) },
      { name: 'dealstage', label: 'Deal Stage', type: 'enumeration', fieldType: 'radio', groupName: GROUP, options: buildOptions(DEAL_STAGES) },
      ownerProperty(GROUP),
      ...buildBookkeeping(GROUP, 'hs_lastmodifieddate'),
    ],
    readDefaults: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    searchable: ['dealname'],
  },
});
