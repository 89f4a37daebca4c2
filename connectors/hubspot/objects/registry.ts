/**
 * The object types pqlsync writes, one line each: each is a folder (./<type>/index.ts) holding
 * its identity, writer hooks, capabilities, association type ids, scopes and sandbox schema.
 * Nothing else in the code switches on an object type's name (docs/architecture.md, "Adding an
 * object type").
 */
import { companies } from './companies/index.ts';
import { contacts } from './contacts/index.ts';
import { deals } from './deals/index.ts';
import { tasks } from './tasks/index.ts';
import { tickets } from './tickets/index.ts';

export const OBJECT_TYPE_LIST = [contacts, companies, deals, tasks, tickets] as const;
