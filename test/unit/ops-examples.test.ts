/**
 * The scheduling examples are what users copy: the GitHub Actions workflows must be valid
 * YAML with the keys GitHub requires, and the Airflow DAG valid Python.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../helpers/project.ts';

const workflows = path.join(REPO, 'examples/github-actions');

describe('GitHub Actions examples', () => {
  const files = readdirSync(workflows).filter((f) => f.endsWith('.yml'));

  it('ship a scheduled sync and a pull-request plan workflow', () => {
    const triggers = files.map((f) => Object.keys(parse(readFileSync(path.join(workflows, f), 'utf8')).on));
    expect(triggers.flat()).toEqual(expect.arrayContaining(['schedule', 'pull_request']));
  });

  it.each(files)('%s is a workflow GitHub accepts: on, jobs with runs-on and steps', (file) => {
    const wf = parse(readFileSync(path.join(workflows, file), 'utf8'));
    expect(wf.on).toBeTruthy();
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    for (const [id, job] of Object.entries<any>(wf.jobs)) {
      expect(typeof job['runs-on'], id).toBe('string');
      expect(Array.isArray(job.steps) && job.steps.length > 0, id).toBe(true);
      for (const step of job.steps) expect(Boolean(step.uses) !== Boolean(step.run), `${id}: a step has uses or run`).toBe(true);
    }
  });

  it('the scheduled sync runs on cron, never overlaps, reads the token from secrets and writes the job summary', () => {
    const text = readFileSync(path.join(workflows, 'pqlsync-scheduled-sync.yml'), 'utf8');
    const wf = parse(text);
    expect(wf.on.schedule[0].cron.split(' ')).toHaveLength(5);
    expect(wf.concurrency.group).toBeTruthy();
    expect(wf.concurrency['cancel-in-progress']).toBe(false);
    expect(wf.jobs.sync.env.HUBSPOT_ACCESS_TOKEN).toBe('${{ secrets.HUBSPOT_ACCESS_TOKEN }}');
    expect(text).toContain('$GITHUB_STEP_SUMMARY');
  });

  it('the pull-request workflow posts the Markdown plan', () => {
    const wf = parse(readFileSync(path.join(workflows, 'pqlsync-plan-comment.yml'), 'utf8'));
    const runs = wf.jobs.plan.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(runs).toContain('pqlsync plan --format markdown');
    expect(wf.permissions['pull-requests']).toBe('write');
  });
});

describe('Airflow example', () => {
  it('the DAG is valid Python', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pqlsync-dag-'));
    try {
      execFileSync('python3', ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', path.join(REPO, 'examples/airflow/pqlsync_dag.py'), path.join(out, 'dag.pyc')]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('maps every exit code: no retry for 2, 3, 6, 9, 10; retry 4, 5; 7 warns; 8 skips', () => {
    const dag = readFileSync(path.join(REPO, 'examples/airflow/pqlsync_dag.py'), 'utf8');
    expect(dag).toMatch(/NO_RETRY = \{2, 3, 6, 9, 10\}/);
    expect(dag).toMatch(/RETRY = \{1, 4, 5, 130\}/);
    expect(dag).toMatch(/ROWS_FAILED = 7/);
    expect(dag).toMatch(/LOCK_HELD = 8/);
  });
});

describe('exit codes, as documented', () => {
  it("every exit code is a row of README's table and has a place in the Airflow DAG", async () => {
    const { EXIT, exitCodesMarkdown } = await import('../../src/cli/exit-codes.ts');
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    // README's table is the one in src/cli/exit-codes.ts, word for word.
    expect(readme).toContain(exitCodesMarkdown());
    const dag = readFileSync(path.join(REPO, 'examples/airflow/pqlsync_dag.py'), 'utf8');
    const mapped = new Set(
      [...dag.matchAll(/^(?:RETRY|NO_RETRY) = \{([\d, ]+)\}|^(?:ROWS_FAILED|LOCK_HELD|DEFERRED) = (\d+)/gm)].flatMap((m) => (m[1] ?? m[2]).split(',').map((n) => Number(n.trim()))),
    );
    for (const [name, code] of Object.entries(EXIT)) {
      expect(readme, `README exit code ${code} (${name})`).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
      if (code !== 0) expect(mapped.has(code), `DAG exit code ${code} (${name})`).toBe(true);
    }
  });
});
