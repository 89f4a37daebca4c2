/**
 * `/crm/v3/properties/{type}`: properties, their batch endpoints and groups.
 * The literal routes (groups, batch) come before `/{name}` so a path like
 * `.../groups` is never read as a property named "groups".
 */
import { ApiError, batchAnswer, buildStandardError, validationError, type StandardError } from '../api-error.ts';
import { applyPropertyUpdate, buildGroupDefinition, buildPropertyDefinition, viewGroup, viewProperty } from '../property-schema.ts';
import type { Route } from '../router.ts';
import { notFoundError, readId, requireBody, requireInputs, requireObjectType } from './request-shape.ts';

export const propertyRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/crm/v3/properties/:type/groups',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      return { status: 200, body: { results: [...store.table(type).groups.values()].map(viewGroup) } };
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/properties/:type/groups',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const group = buildGroupDefinition(store, type, body);
      store.addGroup(type, group);
      return { status: 201, body: viewGroup(group) };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/properties/:type/groups/:name',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      const group = store.table(type).groups.get(params.name);
      if (!group) throw notFoundError(`Unable to find property group ${params.name}.`, { name: [params.name] });
      return { status: 200, body: viewGroup(group) };
    },
  },
  {
    method: 'PATCH',
    pattern: '/crm/v3/properties/:type/groups/:name',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const group = store.table(type).groups.get(params.name);
      if (!group) throw notFoundError(`Unable to find property group ${params.name}.`, { name: [params.name] });
      const input = requireBody(body);
      if (typeof input.label === 'string' && input.label !== '') group.label = input.label;
      if (typeof input.displayOrder === 'number') group.displayOrder = input.displayOrder;
      return { status: 200, body: viewGroup(group) };
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/properties/:type/batch/create',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const startedAt = new Date().toISOString();
      const results: Record<string, unknown>[] = [];
      const errors: StandardError[] = [];
      for (const input of requireInputs(body)) {
        try {
          const definition = buildPropertyDefinition(store, type, input);
          store.addProperty(type, definition);
          results.push(viewProperty(definition));
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          const name = typeof input.name === 'string' ? input.name : '';
          errors.push(buildStandardError(error.category, error.message, { ...error.extras.context, name: [name] }));
        }
      }
      return batchAnswer(201, results, errors, startedAt);
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/properties/:type/batch/read',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const startedAt = new Date().toISOString();
      const properties = store.table(type).properties;
      const names = requireInputs(body).map((input) => readId(input.name, 'name'));
      const found = names.filter((name) => properties.has(name));
      const missing = names.filter((name) => !properties.has(name));
      const errors = missing.map((name) =>
        buildStandardError('OBJECT_NOT_FOUND', `Unable to find property ${name} for object type ${type}.`, { name: [name] }),
      );
      return batchAnswer(200, found.map((name) => viewProperty(properties.get(name)!)), errors, startedAt);
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/properties/:type',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      return { status: 200, body: { results: [...store.table(type).properties.values()].map(viewProperty) } };
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/properties/:type',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const definition = buildPropertyDefinition(store, type, body);
      store.addProperty(type, definition);
      return { status: 201, body: viewProperty(definition) };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/properties/:type/:name',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      const property = store.table(type).properties.get(params.name);
      if (!property) throw notFoundError(`Unable to find property ${params.name} for object type ${type}.`, { name: [params.name] });
      return { status: 200, body: viewProperty(property) };
    },
  },
  {
    method: 'PATCH',
    pattern: '/crm/v3/properties/:type/:name',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const existing = store.table(type).properties.get(params.name);
      if (!existing) throw notFoundError(`Unable to find property ${params.name} for object type ${type}.`, { name: [params.name] });
      const updated = applyPropertyUpdate(store, type, existing, body);
      store.addProperty(type, updated);
      return { status: 200, body: viewProperty(updated) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/crm/v3/properties/:type/:name',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      const table = store.table(type);
      const property = table.properties.get(params.name);
      if (property?.hubspotDefined) throw validationError(`Property ${params.name} is defined by HubSpot and cannot be archived.`);
      if (property) {
        table.properties.delete(params.name);
        table.uniqueIndex.delete(params.name);
      }
      return { status: 204 };
    },
  },
];
