import { expect } from 'vitest';

/** What HubSpot should hold for a model value, compared by meaning (HubSpot stores strings). */
export function expectSame(property: string, type: string, model: unknown, held: string | undefined, key: string) {
  const where = `${key}.${property}`;
  if (model === null || model === undefined || model === '') {
    expect(held ?? '', where).toBe('');
    return;
  }
  switch (type) {
    case 'number':
      expect(Number(held), where).toBeCloseTo(Number(model), 6);
      break;
    case 'bool':
      expect(held, where).toBe(String(model));
      break;
    case 'datetime':
      expect(Date.parse(String(held)), where).toBe(model instanceof Date ? model.getTime() : Date.parse(String(model)));
      break;
    case 'date':
      expect(String(held).slice(0, 10), where).toBe(model instanceof Date ? model.toISOString().slice(0, 10) : String(model).slice(0, 10));
      break;
    default:
      expect(held, where).toBe(String(model));
  }
}
