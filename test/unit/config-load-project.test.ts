import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { noProjectHere, outputDir, parseProject } from '../../src/config/load-project.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { DEMO_CONFIG, REPO } from '../helpers/project.ts';

const FILE = '/projects/acme/pqlsync.yml';
const shipped = parseDocument(readFileSync(DEMO_CONFIG, 'utf8')).toJS();

function withChange(change: (c: any) => void): string {
  const config = structuredClone(shipped);
  change(config);
  return JSON.stringify(config);
}

function errorOf(text: string): ConfigError {
  try {
    parseProject(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loading pqlsync.yml', () => {
  it('loads the shipped project with its defaults and resolved sources', () => {
    const project = parseProject(JSON.stringify(shipped), FILE);
    expect(project.root).toBe('/projects/acme');
    expect(project.modelsDir).toBe('/projects/acme/models');
    expect(project.sources.events).toEqual({ schema: 'raw', name: 'events' });
    expect(project.config.syncs.map((s) => s.name)).toEqual(['contacts', 'companies', 'deals', 'contact_owners', 'contact_tiers', 'handoff_tasks']);
    expect(project.config.syncs[0].on_removed).toBe('keep');
  });

  it('names the file, the key path and what was expected', () => {
    const error = errorOf(withChange((c) => (c.syncs[0].properties[1].type = 'text')));
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('syncs.0.properties.1.type');
    expect(error.message).toMatch(/string.*number.*bool.*date.*datetime.*enumeration/);
  });

  it('refuses an enumeration without options', () => {
    const error = errorOf(withChange((c) => delete c.syncs[0].properties.find((p: any) => p.type === 'enumeration').options));
    expect(error.message).toMatch(/syncs\.0\.properties\.\d+\.options: an enumeration needs its options/);
  });

  it('refuses identifiers that could carry SQL', () => {
    const error = errorOf(withChange((c) => (c.syncs[0].model = 'contact_sync; drop table users')));
    expect(error.message).toContain('syncs.0.model');
    expect(errorOf(withChange((c) => (c.sources.events = 'raw.events" --'))).message).toContain('sources.events');
  });

  it('refuses unknown keys (a typo is not silently ignored)', () => {
    expect(errorOf(withChange((c) => (c.syncs[0].on_remove = 'clear'))).message).toContain('on_remove');
  });

  it('refuses a property mapped twice and a tier column that is not mapped', () => {
    expect(errorOf(withChange((c) => c.syncs[0].properties.push({ ...c.syncs[0].properties[0] }))).message).toContain('is mapped twice');
    expect(errorOf(withChange((c) => (c.syncs[0].guardrails.tier_column = 'nope'))).message).toContain('syncs.0.guardrails.tier_column');
  });

  it('gives the line of a YAML syntax error', () => {
    const error = errorOf('name: x\nwarehouse: [unclosed\n');
    expect(error.message).toMatch(/pqlsync\.yml:\d+ is not valid YAML/);
  });
});

describe('no pqlsync.yml here and no --config', () => {
  it('says what to do; where `pqlsync demo` ran, it names the config the demo left', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pqlsync-noproject-'));
    try {
      const empty = noProjectHere(dir);
      expect(empty).toContain(`No pqlsync.yml in ${dir}`);
      expect(empty).toContain('--config <path to pqlsync.yml>');
      expect(empty).toContain('`pqlsync init` creates a project');
      expect(empty).not.toContain('.pqlsync/demo.yml');
      mkdirSync(path.join(dir, '.pqlsync'));
      writeFileSync(path.join(dir, '.pqlsync', 'demo.yml'), '');
      expect(noProjectHere(dir)).toContain('`pqlsync demo` left its project here: pass --config .pqlsync/demo.yml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("in pqlsync's own repository, names the demo project under examples/ and `npm start`", () => {
    const message = noProjectHere(REPO);
    expect(message).toContain("this is pqlsync's own repository");
    expect(message).toContain('examples/demo/pqlsync.yml');
    expect(message).toContain('--config .pqlsync/demo.yml');
  });
});

describe('where pqlsync writes files for the user', () => {
  it('.pqlsync/ beside pqlsync.yml, or that folder itself for a config kept in .pqlsync/ (the one the demo leaves)', () => {
    expect(outputDir({ root: '/projects/acme' })).toBe(path.join('/projects/acme', '.pqlsync'));
    expect(outputDir({ root: '/tmp/empty/.pqlsync' })).toBe('/tmp/empty/.pqlsync');
  });
});
