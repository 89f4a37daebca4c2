/**
 * `pqlsync doctor` on the handoff's actions and the alerts, against the HubSpot and Slack
 * sandboxes: the Slack token's scopes (from `x-oauth-scopes`) and each sequence as each owner who
 * sends it. A missing scope, an unknown sequence and an owner without a seat each fail, named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { SLACK_SCOPES_ALL, startSlackSandbox, type SlackSandbox } from '../../connectors/slack/sandbox/slack-sandbox.ts';
import { checkHandoffActions } from '../../src/doctor/handoff-checks.ts';
import { checkHubSpot } from '../../src/doctor/hubspot-checks.ts';
import { shippedProject } from '../helpers/project.ts';

const TOKEN = 'pat-na1-doctor-handoff-token';
const SLACK_TOKEN = 'xoxb-doctor-handoff-slack-token';
const opened: Array<{ stop(): Promise<void> } | { cleanup(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await ('stop' in o ? o.stop() : o.cleanup());
});

async function setUp(options: { scopes?: string[]; sequenceId?: string; unseated?: string } = {}) {
  const hubspot: Sandbox = await startSandbox({ accessToken: TOKEN });
  const slack: SlackSandbox = await startSlackSandbox({ token: SLACK_TOKEN, scopes: options.scopes });
  opened.push(hubspot, slack);
  const shipped = await shippedProject((c) => {
    c.handoff.sequences = [{ signals: ['tier:sales_ready'], motions: ['self_serve'], sequence_id: options.sequenceId ?? '5000001' }];
    c.handoff.slack = { to: 'owner' };
    c.alerts = { slack_channel: 'C00000001' };
  }, { handoff: true });
  opened.push(shipped);
  for (const group of Object.values(shipped.project.config.handoff!.routing!.groups)) for (const email of group.owners ?? []) hubspot.seedOwner({ email });
  hubspot.sequences.seed('PQL Outreach', 'sdr.one@pqlsync-demo.test');
  if (options.unseated) hubspot.sequences.removeSeat(options.unseated);
  const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: hubspot.url, SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_API_URL: slack.apiUrl };
  const checks = await checkHandoffActions({ project: shipped.project, env });
  for (const c of checks) expect(JSON.stringify(c)).not.toContain(SLACK_TOKEN);
  return Object.fromEntries(checks.map((c) => [c.check, c]));
}

describe('doctor: Slack scopes and sequences', () => {
  it('all in order: both checks pass, naming what they saw', async () => {
    const checks = await setUp();
    expect(checks['slack token']).toMatchObject({ status: 'ok' });
    expect(checks['slack token'].detail).toContain('im:write');
    expect(checks.sequences).toMatchObject({ status: 'ok' });
    expect(checks.sequences.detail).toContain('"PQL Outreach" as sdr.three@pqlsync-demo.test');
  });

  it('a token without im:write and users:read.email fails, naming the scopes to add', async () => {
    const checks = await setUp({ scopes: SLACK_SCOPES_ALL.filter((s) => s !== 'im:write' && s !== 'users:read.email') });
    expect(checks['slack token'].status).toBe('failed');
    expect(checks['slack token'].detail).toMatch(/lacks the scope\(s\) im:write, users:read\.email/);
  });

  it('an unknown sequence id and an owner without a seat fail, naming them', async () => {
    const unknown = await setUp({ sequenceId: '777' });
    expect(unknown.sequences.status).toBe('failed');
    expect(unknown.sequences.detail).toContain('sequence 777 as sdr.one@pqlsync-demo.test');
    const seatless = await setUp({ unseated: 'sdr.two@pqlsync-demo.test' });
    expect(seatless.sequences.status).toBe('failed');
    expect(seatless.sequences.detail).toMatch(/sdr\.two@pqlsync-demo\.test.*Sales Hub/);
    expect(seatless.sequences.detail).not.toContain('sdr.one@');
  });
});

describe('doctor: how tasks are made once in this portal', () => {
  it('says, in one line, whether the task key is unique (upsert) or plain (journaled and reconciled), or not made yet', async () => {
    const hubspot: Sandbox = await startSandbox({ accessToken: TOKEN });
    opened.push(hubspot);
    const shipped = await shippedProject(() => undefined, { handoff: true });
    opened.push(shipped);
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: hubspot.url };
    const taskKeys = async () => (await checkHubSpot({ project: shipped.project, env })).find((c) => c.check === 'task keys')!;
    expect((await taskKeys()).detail).toMatch(/^handoff_tasks: pqlsync_task_key does not exist yet; the first sync asks for it with unique values/);
    hubspot.seedProperty('tasks', { name: 'pqlsync_task_key', type: 'string', fieldType: 'text', groupName: 'taskinformation', hasUniqueValue: false });
    const plain = await taskKeys();
    expect(plain.status).toBe('ok');
    expect(plain.detail).toMatch(/^handoff_tasks: this portal keeps no unique values on tasks .*created with its contact, its intent journaled/);
    const unique: Sandbox = await startSandbox({ accessToken: TOKEN });
    opened.push(unique);
    unique.seedProperty('tasks', { name: 'pqlsync_task_key', type: 'string', fieldType: 'text', groupName: 'taskinformation', hasUniqueValue: true });
    const kept = (await checkHubSpot({ project: shipped.project, env: { ...env, HUBSPOT_BASE_PATH: unique.url } })).find((c) => c.check === 'task keys')!;
    expect(kept.detail).toMatch(/^handoff_tasks: pqlsync_task_key is a unique-value property in this portal: each task is upserted by it/);
  });
});
