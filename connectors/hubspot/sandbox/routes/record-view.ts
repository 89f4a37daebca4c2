/**
 * How a record appears in responses. Reads show the properties asked for
 * (HubSpot's defaults when none), with null for unset ones; writes echo the
 * properties sent, as stored, plus the bookkeeping ones.
 */
import { DEFAULT_READ_PROPERTIES, MODIFIED_DATE_PROPERTY } from '../default-schema.ts';
import type { ObjectTypeName } from '../object-types.ts';
import type { RecordState } from '../store.ts';

export interface RecordView {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  objectWriteTraceId?: string;
  new?: boolean;
}

function listBookkeeping(type: ObjectTypeName): string[] {
  return ['createdate', 'hs_object_id', MODIFIED_DATE_PROPERTY[type]];
}

export function viewReadRecord(type: ObjectTypeName, record: RecordState, requested: string[] | undefined): RecordView {
  const names = new Set([...listBookkeeping(type), ...(requested ?? DEFAULT_READ_PROPERTIES[type])]);
  const properties: Record<string, string | null> = {};
  for (const name of [...names].sort()) properties[name] = record.properties[name] ?? null;
  return { id: record.id, properties, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: false };
}

export function viewWrittenRecord(
  type: ObjectTypeName,
  record: RecordState,
  sentNames: string[],
  objectWriteTraceId: string | undefined,
): RecordView {
  const properties: Record<string, string | null> = {};
  for (const name of [...new Set([...listBookkeeping(type), ...sentNames])].sort()) {
    // A cleared property echoes as "", the value that cleared it.
    properties[name] = record.properties[name] ?? '';
  }
  return {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: false,
    ...(objectWriteTraceId !== undefined ? { objectWriteTraceId } : {}),
  };
}
