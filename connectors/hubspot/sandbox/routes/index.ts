/** Every route the sandbox serves, literal paths before parameterised ones. */
import type { Route } from '../router.ts';
import { accountRoutes } from './account.routes.ts';
import { associationRoutes } from './associations.routes.ts';
import { objectBasicRoutes } from './objects-basic.routes.ts';
import { objectBatchRoutes } from './objects-batch.routes.ts';
import { ownerRoutes } from './owners.routes.ts';
import { propertyRoutes } from './properties.routes.ts';
import { pipelineRoutes } from './pipelines.routes.ts';
import { searchRoutes } from './search.routes.ts';
import { sequenceRoutes } from './sequences.routes.ts';

export const ROUTES: Route[] = [...propertyRoutes, ...searchRoutes, ...objectBatchRoutes, ...objectBasicRoutes, ...associationRoutes, ...pipelineRoutes, ...ownerRoutes, ...accountRoutes, ...sequenceRoutes];
