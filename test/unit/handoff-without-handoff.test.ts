/** `pqlsync init` starts from the shipped pqlsync.yml without its handoff (which names the demo's owners). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProject } from '../../src/config/load-project.ts';
import { withoutHandoff } from '../../src/handoff/without-handoff.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';

const shipped = readFileSync(DEMO_CONFIG, 'utf8');

describe('the shipped pqlsync.yml without its handoff', () => {
  it('drops the handoff block and the syncs reading its views, with their comments, and keeps the rest as written', () => {
    const out = withoutHandoff(shipped);
    const config = parseProject(out, '/projects/acme/pqlsync.yml').config;
    const full = parseProject(shipped, '/projects/acme/pqlsync.yml').config;
    expect(full.handoff).toBeDefined();
    expect(config.handoff).toBeUndefined();
    expect(config.syncs.map((s) => s.name)).toEqual(full.syncs.filter((s) => !s.model.startsWith('handoff_')).map((s) => s.name));
    expect(config.evaluate).toEqual(full.evaluate);
    expect(out).not.toContain('ae.one@pqlsync-demo.test');
    expect(out).not.toContain('# One task per (contact, signal, episode)');
    // Everything else is the shipped text, comments included.
    expect(out).toContain(shipped.slice(0, shipped.indexOf('  # --- The handoff')));
  });
});
