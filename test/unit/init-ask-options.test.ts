/**
 * `pqlsync init` on a terminal: what the flags left open is asked, in order, and the answers
 * become the project's warehouse, tables and column names; what the flags gave is not asked again.
 */
import { describe, expect, it } from 'vitest';
import { askInitOptions } from '../../src/init/ask-options.ts';

function scripted(answers: Record<string, string>) {
  const asked: string[] = [];
  const ask = async (question: string, fallback: string) => {
    asked.push(question);
    const key = Object.keys(answers).find((k) => question.includes(k));
    return key === undefined ? fallback : answers[key];
  };
  return { ask, asked };
}

describe('init on a terminal', () => {
  it('asks the warehouse, each table, and the columns of a table whose names differ', async () => {
    const { ask, asked } = scripted({
      Warehouse: 'postgres',
      'Table with your users': 'app.people',
      'Does it have the columns user_id': 'n',
      'users.user_id': 'id',
      'users.signup_at': 'created_at',
    });
    const options = await askInitOptions({ dir: '/x', name: 'x', warehouse: 'duckdb', warehouseGiven: false, tablesGiven: [], sources: {} }, ask);
    expect(options.warehouse).toBe('postgres');
    expect(options.duckdbPath).toBeUndefined();
    expect(options.sources.users).toEqual({ table: 'app.people', columns: { user_id: 'id', signup_at: 'created_at' } });
    expect(options.sources.events).toEqual({ table: 'raw.events', columns: {} });
    // Columns kept under pqlsync's name are asked but not recorded; other sources' columns were not asked one by one.
    expect(asked.filter((q) => q.startsWith('  events.'))).toEqual([]);
  });

  it('asks a table again until it is schema.table', async () => {
    const answers = ['people', 'app.people'];
    const asked: string[] = [];
    const ask = async (question: string, fallback: string) => {
      asked.push(question);
      return question.includes('Table with your users') ? answers.shift()! : fallback;
    };
    const options = await askInitOptions({ dir: '/x', name: 'x', warehouse: 'duckdb', warehouseGiven: true, tablesGiven: [], sources: {} }, ask);
    expect(options.sources.users.table).toBe('app.people');
    expect(asked.filter((q) => q.includes('Table with your users'))).toHaveLength(2);
  });

  it('does not ask again what the flags gave', async () => {
    const { ask, asked } = scripted({});
    await askInitOptions(
      {
        dir: '/x',
        name: 'x',
        warehouse: 'snowflake',
        warehouseGiven: true,
        tablesGiven: ['users'],
        sources: { users: { table: 'app.people', columns: { email: 'mail' } } },
      },
      ask,
    );
    expect(asked.some((q) => q.startsWith('Warehouse'))).toBe(false);
    expect(asked.some((q) => q.includes('Table with your users'))).toBe(false);
    expect(asked.find((q) => q.startsWith('Does it have the columns user_id'))).not.toContain('email');
  });
});
