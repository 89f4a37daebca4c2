/**
 * Steps that run among the syncs of a delivery, declared here rather than found by name: a step
 * says which models it produces; it runs once, right before the first sync that reads one of them,
 * and its `after` once every sync has finished (and none was stopped). The handoff is the one today:
 * it prepares the views the owner, tier and task syncs read (docs/architecture.md, "One pipeline").
 */
import type { Destination } from '../../connectors/destination.ts';
import { handoffStep } from '../handoff/handoff-step.ts';
import type { Session } from './session.ts';

export interface DeliveryStep {
  name: string;
  /** The models (in the models schema) this step writes; empty when the project does not use it. */
  produces(session: Session): readonly string[];
  /** Runs before the first sync reading what it produces. */
  before(session: Session, destination: Destination, lockTtlMs: number): Promise<unknown>;
  /** Runs after the syncs, when `before` ran and no sync was stopped. */
  after?(session: Session, destination: Destination, lockTtlMs: number): Promise<unknown>;
}

/** Every step, in the order they run when the same sync needs several. One line per step. */
export const DELIVERY_STEPS: readonly DeliveryStep[] = [handoffStep];
