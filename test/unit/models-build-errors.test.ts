import { describe, expect, it } from 'vitest';
import { engineErrorLine } from '../../src/run/engine-error-line.ts';

describe('engine error lines', () => {
  const statement = 'create table t as\nselect 1\nfromm x';
  it('reads the line each engine reports, through the cause chain', () => {
    expect(engineErrorLine(new Error('wrapped', { cause: new Error('Parser Error: syntax error\n\nLINE 3: fromm x') }), statement)).toBe(3);
    expect(engineErrorLine(new Error('Syntax error: Unexpected identifier "fromm" at [3:1]'), statement)).toBe(3);
    expect(engineErrorLine(new Error('SQL compilation error:\nsyntax error line 3 at position 0 unexpected'), statement)).toBe(3);
    expect(engineErrorLine(Object.assign(new Error('syntax error at or near "fromm"'), { position: '28' }), statement)).toBe(3);
  });
  it('gives nothing when the engine says nothing', () => {
    expect(engineErrorLine(new Error('Catalog Error: no such table'), statement)).toBeUndefined();
    expect(engineErrorLine('boom', statement)).toBeUndefined();
  });
});
