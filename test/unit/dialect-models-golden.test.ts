/**
 * Golden compiled SQL of every shipped model for the dialects no test machine can run
 * (BigQuery, Snowflake): test/golden/models/<dialect>/<model>.sql. A change in a model, a macro
 * or the compiler shows up as a reviewed diff (UPDATE_GOLDEN=1 rewrites the files).
 */
import { describe, expect, it } from 'vitest';
import { dialects } from '../../connectors/registry.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { compileModel } from '../../src/compile/compile-model.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { expectGolden } from '../golden/golden.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';

const AS_OF = '2026-11-01T00:00:00.000Z';

describe.each(['bigquery', 'snowflake'] as const)('shipped models compiled for %s', async (name) => {
  const project = await loadProject(DEMO_CONFIG);
  const models = orderModels(await loadModels(project.modelsDir, { dialect: name, projectRoot: project.root }), Object.keys(project.sources));
  const ctx = { dialect: dialects[name]!, modelsSchema: project.config.schema, sources: project.sources, asOf: AS_OF };

  it('has models to compile', () => {
    expect(models.length).toBeGreaterThan(5);
  });

  it.each(models.map((m) => [m.name, m] as const))('%s matches its golden SQL', (modelName, model) => {
    const sql = compileModel(model, ctx);
    expect(sql).not.toMatch(/\{\{|\}\}/); // every macro rendered
    expectGolden(`models/${name}/${modelName}.sql`, sql);
  });
});
