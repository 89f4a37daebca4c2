/**
 * Tickets: support tickets a sync opens or updates (an account at risk, a trial stuck on setup).
 * A ticket sits in a pipeline stage: map a column to `hs_pipeline_stage` with the stage ids of
 * the portal's support pipeline (a new portal's default pipeline is `0`, stages `1` to `4`);
 * pqlsync does not manage ticket pipelines (no `pipeline` capability), so a sync's `pipeline:`
 * is a configuration error. Type ids and scopes: docs/hubspot.md, "Tickets".
 */
import { buildBookkeeping, buildOptions, ownerProperty } from '../../sandbox/schema-parts.ts';
import { defineObjectType } from '../object-type.ts';
import { ticketsWriter } from './writer.ts';

const GROUP = 'ticketinformation';

export const tickets = defineObjectType({
  name: 'tickets',
  typeId: '0-5',
  singular: 'ticket',
  identity: { property: 'pqlsync_ticket_key', ownedByPqlsync: true, label: 'pqlsync ticket key' },
  managedProperties: ['hubspot_owner_id'],
  modifiedDate: 'hs_lastmodifieddate',
  associations: {
    contacts: { typeId: 16, inverseTypeId: 15 },
    companies: { typeId: 339, inverseTypeId: 340, primaryTypeId: 26, primaryInverseTypeId: 25 },
    deals: { typeId: 28, inverseTypeId: 27 },
  },
  capabilities: {},
  // Tickets have one scope of their own for records, and the CRM schema scopes for properties.
  scopes: ['tickets', 'crm.schemas.tickets.read', 'crm.schemas.tickets.write'],
  writer: ticketsWriter,
  sandbox: {
    groups: [{ name: GROUP, label: 'Ticket information', displayOrder: -1 }],
    properties: [
      { name: 'subject', label: 'Ticket name', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'content', label: 'Ticket description', type: 'string', fieldType: 'textarea', groupName: GROUP },
      { name: 'hs_pipeline', label: 'Pipeline', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(['0']) },
      { name: 'hs_pipeline_stage', label: 'Ticket status', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(['1', '2', '3', '4']) },
      { name: 'hs_ticket_priority', label: 'Priority', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(['LOW', 'MEDIUM', 'HIGH']) },
      ownerProperty(GROUP),
      ...buildBookkeeping(GROUP, 'hs_lastmodifieddate'),
    ],
    readDefaults: ['content', 'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_pipeline', 'hs_pipeline_stage', 'subject'],
    searchable: ['subject', 'content'],
    // A ticket needs its stage; without a pipeline it goes to the support pipeline.
    required: ['hs_pipeline_stage'],
    createDefaults: { hs_pipeline: '0' },
  },
});
