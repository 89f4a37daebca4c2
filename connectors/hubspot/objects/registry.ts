/**
 * The object writers, one line each (their static facts are in ./object-types.ts). Nothing
 * else in the connector switches on the object type.
 */
import { companiesWriter } from './companies.ts';
import { contactsWriter } from './contacts.ts';
import { dealsWriter } from './deals.ts';
import { tasksWriter } from './tasks.ts';
import type { ObjectTypeName } from './object-types.ts';
import type { ObjectWriter } from './write-template.ts';

export const OBJECT_WRITERS: Record<ObjectTypeName, ObjectWriter> = {
  contacts: contactsWriter,
  companies: companiesWriter,
  deals: dealsWriter,
  tasks: tasksWriter,
};
