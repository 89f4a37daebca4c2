import type { z } from 'zod';
import { ConfigError } from '../../contracts/errors.ts';

/**
 * Validates `data` against `schema`, or throws one ConfigError naming the file,
 * each offending key path and what was expected.
 */
export function validate<T extends z.ZodType>(schema: T, data: unknown, where: { filePath: string }): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    return `  - ${path}: ${issue.message}`;
  });
  throw new ConfigError(`${where.filePath} is not valid:\n${lines.join('\n')}`);
}
