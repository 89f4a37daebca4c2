/**
 * Sales sequences (docs/hubspot.md, "Sequences"), version 2026-03: read a contact's enrolment,
 * enrol a contact, read a sequence. Client 13.5 has no module for them, so they go through its
 * generic request, with the same pacing, retries and capture as every CRM call: the adapter
 * runs the executor's middleware around the request and throws HubSpot's error shape for a
 * non-2xx answer, as the generated code does.
 */
import type { EnrolOutcome, SequenceEnrolment } from './capabilities.ts';
import { DestinationError } from '../../contracts/errors.ts';
import { recordFailure } from './errors.ts';
import type { CallOptions, HttpInfoLike, HubSpotApis } from './hubspot.client.ts';
import type { RequestExecutor } from './retry.ts';

/** The API version in every sequences path (HubSpot's date-based versions; docs/hubspot.md). */
export const SEQUENCES_PATH = '/automation/sequences/2026-03';

interface SequencesContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
}

type Middleware = { pre?: (request: unknown) => Promise<unknown>; post?: (response: { httpStatusCode: number; headers: Record<string, string> }) => Promise<unknown> };

async function send(apis: HubSpotApis, options: CallOptions, request: { method: string; path: string; qs?: Record<string, string>; body?: unknown }): Promise<HttpInfoLike<unknown>> {
  const middleware = ((options?.middleware ?? []) as Middleware[]).filter(Boolean);
  for (const m of middleware) await m.pre?.(undefined);
  const response = await apis.request(request as Parameters<HubSpotApis['request']>[0]);
  const headers: Record<string, string> = {};
  response.headers.forEach((value: string, name: string) => {
    headers[name.toLowerCase()] = value;
  });
  for (const m of middleware) await m.post?.({ httpStatusCode: response.status, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // an HTML gateway page: kept as text, classified by its status
  }
  if (response.status < 200 || response.status > 299) throw Object.assign(new Error(`HTTP ${response.status}`), { code: response.status, body, headers });
  return { httpStatusCode: response.status, data: body };
}

export async function readEnrolment(ctx: SequencesContext, contactId: string): Promise<SequenceEnrolment | null> {
  const path = `${SEQUENCES_PATH}/enrollments/contact/${encodeURIComponent(contactId)}`;
  const result = await ctx.exec.run<{ id?: string; sequenceId?: string; enrolledByEmail?: string }>('crm', `sequence enrolment of contact ${contactId}`, (options) =>
    send(ctx.apis, options, { method: 'GET', path }),
  );
  if (result.ok) return { id: String(result.data.id ?? ''), sequenceId: String(result.data.sequenceId ?? ''), enrolledByEmail: String(result.data.enrolledByEmail ?? '') };
  // 404: not enrolled in any sequence.
  if (result.kind === 'rejected' && result.failure.status === 404) return null;
  // Without the answer pqlsync cannot know whether an enrolment landed: stop rather than enrol twice.
  throw new DestinationError(`reading the sequence enrolment of contact ${contactId}: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
}

export async function enrolInSequence(ctx: SequencesContext, input: { contactId: string; sequenceId: string; senderEmail: string; userId: string }): Promise<EnrolOutcome> {
  const result = await ctx.exec.run<{ id?: string }>('crm', `enrol contact ${input.contactId} in sequence ${input.sequenceId}`, (options) =>
    send(ctx.apis, options, {
      method: 'POST',
      path: `${SEQUENCES_PATH}/enrollments`,
      qs: { userId: input.userId },
      body: { contactId: input.contactId, senderEmail: input.senderEmail, sequenceId: input.sequenceId },
    }),
  );
  if (result.ok) return { ok: true, id: String(result.data.id ?? '') };
  if (result.kind === 'exhausted') return { ok: false, category: 'RETRIES_EXHAUSTED', message: result.message };
  const { category, message } = recordFailure(result.failure.body, result.failure.status, result.failure.message);
  return { ok: false, category, message };
}

export async function readSequence(ctx: SequencesContext, sequenceId: string, userId: string): Promise<string | null> {
  const result = await ctx.exec.run<{ name?: string }>('crm', `sequence ${sequenceId}`, (options) =>
    send(ctx.apis, options, { method: 'GET', path: `${SEQUENCES_PATH}/${encodeURIComponent(sequenceId)}`, qs: { userId } }),
  );
  if (result.ok) return String(result.data.name ?? sequenceId);
  if (result.kind === 'rejected' && (result.failure.status === 404 || result.failure.status === 400)) return null;
  throw new DestinationError(`reading sequence ${sequenceId}: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
}
