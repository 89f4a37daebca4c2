/**
 * `GET|POST /crm/v3/pipelines/deals` and `GET /crm/v3/pipelines/deals/{id}`. Creating a
 * pipeline adds its id and stage ids to the options of the deals' `pipeline` and `dealstage`
 * properties, as HubSpot shows them.
 */
import { ApiError, validationError } from '../api-error.ts';
import { viewPipeline } from '../pipelines.ts';
import type { Route } from '../router.ts';
import type { PortalStore } from '../store.ts';

function requireDeals(objectType: string): void {
  if (objectType !== 'deals' && objectType !== '0-3') throw validationError(`The sandbox keeps pipelines for deals only, not ${objectType}.`);
}

function addOptions(store: PortalStore, property: string, values: string[]): void {
  const definition = store.table('deals').properties.get(property);
  if (!definition) return;
  const have = new Set(definition.options.map((o) => o.value));
  for (const value of values) {
    if (!have.has(value)) definition.options.push({ label: value, value, displayOrder: definition.options.length, hidden: false });
  }
}

export const pipelineRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/crm/v3/pipelines/:type',
    limit: 'window',
    handle: ({ params, store }) => {
      requireDeals(params.type);
      return { status: 200, body: { results: store.pipelines.list().map(viewPipeline) } };
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/pipelines/:type',
    limit: 'window',
    handle: ({ params, body, store }) => {
      requireDeals(params.type);
      const pipeline = store.pipelines.create(body, store.stampTime());
      addOptions(store, 'pipeline', [pipeline.id]);
      addOptions(store, 'dealstage', pipeline.stages.map((s) => s.id));
      return { status: 201, body: viewPipeline(pipeline) };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/pipelines/:type/:pipelineId',
    limit: 'window',
    handle: ({ params, store }) => {
      requireDeals(params.type);
      const pipeline = store.pipelines.get(params.pipelineId);
      if (!pipeline) throw new ApiError(404, 'OBJECT_NOT_FOUND', `No pipeline with id ${params.pipelineId} exists.`, {});
      return { status: 200, body: viewPipeline(pipeline) };
    },
  },
];
