/**
 * A command line yargs rejected (unknown option or command, missing value). Thrown from the
 * parser's fail handler so that no command handler runs; `runCli` maps it to exit 2.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The long option names a parser knows (kebab-case as typed, without aliases in camelCase). */
export function knownOptions(parser: unknown): string[] {
  const options = (parser as { getOptions?: () => { key?: Record<string, unknown> } } | undefined)?.getOptions?.();
  return Object.keys(options?.key ?? {}).filter((name) => !/[A-Z]/.test(name) && name.length > 1);
}

/**
 * yargs' "Unknown arguments: dry-rn, dryRn" with a did-you-mean for each option close to a known
 * one ("did you mean --dry-run?"); yargs itself suggests only commands.
 */
export function withSuggestion(message: string, known: string[]): string {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match) return message;
  const typed = match[1].split(', ').filter((name) => !/[A-Z]/.test(name));
  const hints = typed
    .map((name) => ({ name, best: closest(name, known) }))
    .filter((hint) => hint.best !== undefined)
    .map((hint) => `--${hint.name}: did you mean --${hint.best}?`);
  return [`Unknown ${typed.length === 1 ? 'argument' : 'arguments'}: ${typed.join(', ')}`, ...hints].join('\n');
}

function closest(name: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
