/**
 * A small method + path router. Routes are plain data (pattern, which rate
 * limit applies, a handler from request to result), so the server stays one
 * pipeline and each HubSpot API lives in its own module.
 */
import { resolveObjectType } from './object-types.ts';
import type { PortalStore } from './store.ts';

/**
 * Which limit a route counts against. Search has its own per-second limit;
 * associations v4 are exempt from the ten-second window (docs/hubspot.md, "Limits").
 */
export type LimitClass = 'window' | 'search' | 'exempt';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body, undefined when the request had none. */
  body: unknown;
  store: PortalStore;
}

export interface RouteResult {
  status: number;
  /** JSON body; none for 204. */
  body?: unknown;
  /** Records created or updated, for the stats. */
  recordsWritten?: number;
}

export interface Route {
  method: string;
  /** Segments starting with ':' are parameters, e.g. '/crm/v3/objects/:type/batch/upsert'. */
  pattern: string;
  limit: LimitClass;
  handle(context: RouteContext): RouteResult;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The first route whose method and pattern match; list literal routes before parameterised ones. */
export function matchRoute(routes: Route[], method: string, path: string): RouteMatch | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchSegments(route.pattern, segments);
    if (params) return { route, params };
  }
  return undefined;
}

/** Whether any route serves this path with another method (a 405 rather than a 404). */
export function hasPathMatch(routes: Route[], path: string): boolean {
  const segments = path.split('/').filter(Boolean);
  return routes.some((route) => matchSegments(route.pattern, segments) !== undefined);
}

/**
 * The stats key of a request: the pattern with the object type canonical
 * ('0-1' → contacts) and other parameters as `{name}`.
 */
export function describeRoute(match: RouteMatch): string {
  const path = match.route.pattern
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      const name = segment.slice(1);
      const value = match.params[name] ?? '';
      const isType = name === 'type' || name === 'fromType' || name === 'toType';
      return isType ? (resolveObjectType(value) ?? value) : `{${name}}`;
    })
    .join('/');
  return `${match.route.method} ${path}`;
}

function matchSegments(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    const segment = segments[index];
    if (part.startsWith(':')) params[part.slice(1)] = decodeSegment(segment);
    else if (part !== segment) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
