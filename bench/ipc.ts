/**
 * What the bench's child processes and the orchestrator (which hosts the sandbox) say to
 * each other over the IPC channel of `fork()`.
 */
import type { ChildProcess } from 'node:child_process';

export interface SandboxCounts {
  /** CPU time of the sandbox's process (the orchestrator) since the last reset, ms. */
  cpuMs: number;
  requests: number;
  requestsByRoute: Record<string, number>;
  recordsWritten: number;
  rateLimited: number;
}

/** Child → parent: ask the sandbox (in the parent) to reset or report its counters. */
export interface RpcRequest {
  type: 'rpc';
  id: number;
  op: 'reset' | 'stats';
}
export interface RpcReply {
  type: 'rpc-reply';
  id: number;
  stats: SandboxCounts;
}

export type RssSample = [ms: number, mb: number];

export interface SyncPhaseResult {
  phase: 'full' | 'incremental' | 'nochange';
  rows: number;
  /** Rows the plan said to send (new + changed + retrying). */
  toSend: number;
  sent: number;
  delivered: number;
  failed: number;
  /** Requests the destination counted (every attempt). */
  destinationRequests: number;
  sandbox: SandboxCounts;
  /** Whole sync step (lock, run history, diff, plan, property check, stream, send, checkpoints). */
  wallMs: number;
  /** From the first destination.send call to the last one's answer. */
  sendWindowMs: number;
  /** Incremental only: the UPDATE that changed the model (model building, not the sync step). */
  changeSqlMs?: number;
  /** Incremental only: diffSync alone, then planSync (diff + guardrails + sample), each timed once before the sync step. */
  diffMs?: number;
  planMs?: number;
  /** Time inside destination.send (the page's batches in flight), summed, ms. */
  sendBusyMs: number;
  /** Time between consecutive send calls (stream the next page, checkpoint state), summed, ms. */
  sendGapsMs: number;
  /** Of which state.checkpoint (the state transaction; the delivered snapshot follows it), ms. */
  checkpointMs: number;
  checkpoints: number;
  sendCalls: number;
  /** CPU time of this process during the phase, ms. */
  cpuMs: number;
  /** Peak V8 heap used and external memory (DuckDB's buffers are outside both), MB. */
  heapUsedPeakMb: number;
  externalPeakMb: number;
  /** Peak of the sampled RSS during the phase, MB. */
  rssPeakMb: number;
  /** process.resourceUsage().maxRSS at the end of the phase (cumulative for the process), MB. */
  maxRssMb: number;
  rssSamples: RssSample[];
}

export type ChildMessage =
  | RpcRequest
  | { type: 'phase'; result: SyncPhaseResult }
  | { type: 'baseline'; result: BaselineResult }
  | { type: 'ready'; baseRssMb: number };

export interface BaselineResult {
  requests: number;
  records: number;
  wallMs: number;
  /** 429s the sandbox answered (retried after a pause). */
  rateLimited: number;
  errors: number;
}

/** Sends an RPC to the parent and waits for its reply. */
export function createRpc(): (op: RpcRequest['op']) => Promise<SandboxCounts> {
  let next = 0;
  const waiting = new Map<number, (stats: SandboxCounts) => void>();
  process.on('message', (message: RpcReply) => {
    if (message?.type === 'rpc-reply') {
      waiting.get(message.id)?.(message.stats);
      waiting.delete(message.id);
    }
  });
  return (op) =>
    new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      process.send!({ type: 'rpc', id, op } satisfies RpcRequest);
    });
}

/** Sends a message to the parent and waits until it is handed to the channel. */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

/** Parent side: answers a child's sandbox RPCs. */
export function serveRpc(child: ChildProcess, counts: () => Omit<SandboxCounts, 'cpuMs'>, reset: () => void): void {
  let cpu = process.cpuUsage();
  child.on('message', (message: ChildMessage) => {
    if (message?.type !== 'rpc') return;
    if (message.op === 'reset') {
      reset();
      cpu = process.cpuUsage();
    }
    const used = process.cpuUsage(cpu);
    child.send({ type: 'rpc-reply', id: message.id, stats: { ...counts(), cpuMs: Math.round((used.user + used.system) / 1000) } } satisfies RpcReply);
  });
}

/** Record-write requests and property requests among a sandbox route count. */
export function splitRoutes(byRoute: Record<string, number>): { writes: number; properties: number; other: number } {
  let writes = 0;
  let properties = 0;
  let other = 0;
  for (const [route, n] of Object.entries(byRoute)) {
    if (route.includes('/crm/v3/objects/')) writes += n;
    else if (route.includes('/crm/v3/properties/')) properties += n;
    else other += n;
  }
  return { writes, properties, other };
}
