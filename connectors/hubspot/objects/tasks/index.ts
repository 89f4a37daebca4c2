/** Tasks: events, created once per (record, trigger, episode) and never rewritten (./writer.ts). */
import { buildBookkeeping, buildOptions, ownerProperty } from '../../sandbox/schema-parts.ts';
import { crmScopes, defineObjectType } from '../object-type.ts';
import { tasksWriter } from './writer.ts';

const GROUP = 'taskinformation';

/** HubSpot's task values (tasks API guide): status, priority and type are enumerations of these. */
const TASK_STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'];
const TASK_PRIORITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
const TASK_TYPES = ['TODO', 'CALL', 'EMAIL'];

export const tasks = defineObjectType({
  name: 'tasks',
  typeId: '0-27',
  singular: 'task',
  // A task is an event: created once per (record, trigger, episode), upserted by this key so a
  // create repeated after a lost answer or a kill updates the task it made; where the portal keeps
  // no unique values on tasks, created with its contact and reconciled through it.
  identity: { property: 'pqlsync_task_key', ownedByPqlsync: true, label: 'pqlsync task key', uniqueMayBeRefused: { foundThrough: 'contacts' } },
  managedProperties: ['hubspot_owner_id'],
  modifiedDate: 'hs_lastmodifieddate',
  // Task → contact 204, → company 192, → deal 216 (HubSpot-defined, unlabelled).
  associations: {
    contacts: { typeId: 204, inverseTypeId: 203 },
    companies: { typeId: 192, inverseTypeId: 191 },
    deals: { typeId: 216, inverseTypeId: 215 },
  },
  capabilities: { requiredMode: 'insert_once' },
  scopes: crmScopes('tasks'),
  writer: tasksWriter,
  sandbox: {
    groups: [{ name: GROUP, label: 'Task information', displayOrder: -1 }],
    properties: [
      // hs_timestamp is the due time and is required to create a task (tasks API guide).
      { name: 'hs_timestamp', label: 'Due date', type: 'datetime', fieldType: 'date', groupName: GROUP },
      { name: 'hs_task_subject', label: 'Task Title', type: 'string', fieldType: 'text', groupName: GROUP },
      { name: 'hs_task_body', label: 'Notes', type: 'string', fieldType: 'textarea', groupName: GROUP },
      { name: 'hs_task_status', label: 'Task Status', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(TASK_STATUSES) },
      { name: 'hs_task_priority', label: 'Priority', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(TASK_PRIORITIES) },
      { name: 'hs_task_type', label: 'Task Type', type: 'enumeration', fieldType: 'select', groupName: GROUP, options: buildOptions(TASK_TYPES) },
      ownerProperty(GROUP),
      ...buildBookkeeping(GROUP, 'hs_lastmodifieddate'),
    ],
    readDefaults: ['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_task_status', 'hs_task_subject', 'hs_timestamp'],
    required: ['hs_timestamp'],
    // A task created without a status is open, as in HubSpot's UI.
    createDefaults: { hs_task_status: 'NOT_STARTED' },
  },
});
