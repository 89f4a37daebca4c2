/**
 * Deal pipelines: the portal's default pipeline (id `default`, HubSpot's seven stages) plus
 * the ones created through `POST /crm/v3/pipelines/deals`. HubSpot assigns pipeline and
 * stage ids; a deal's `dealstage` must be a stage of its `pipeline`.
 */
import { ApiError, validationError } from './api-error.ts';

export interface PipelineStage {
  id: string;
  label: string;
  displayOrder: number;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface Pipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: PipelineStage[];
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** HubSpot's default deal stages and their probabilities. */
const DEFAULT_STAGES: Array<[string, string, number, boolean]> = [
  ['appointmentscheduled', 'Appointment Scheduled', 0.2, false],
  ['qualifiedtobuy', 'Qualified To Buy', 0.4, false],
  ['presentationscheduled', 'Presentation Scheduled', 0.6, false],
  ['decisionmakerboughtin', 'Decision Maker Bought-In', 0.8, false],
  ['contractsent', 'Contract Sent', 0.9, false],
  ['closedwon', 'Closed Won', 1, true],
  ['closedlost', 'Closed Lost', 0, true],
];

/** HubSpot limits a pipeline label to 36 characters... */
const MAX_LABEL = 36;
/** ...and a pipeline to 100 stages. */
const MAX_STAGES = 100;

export class PipelineStore {
  private readonly pipelines = new Map<string, Pipeline>();
  private nextId = 9_000_001;

  constructor(now: string) {
    this.pipelines.set('default', {
      id: 'default',
      label: 'Sales Pipeline',
      displayOrder: 0,
      createdAt: now,
      updatedAt: now,
      archived: false,
      stages: DEFAULT_STAGES.map(([id, label, probability, closed], displayOrder) => ({
        id,
        label,
        displayOrder,
        metadata: { probability: String(probability), isClosed: String(closed) },
        createdAt: now,
        updatedAt: now,
        archived: false,
      })),
    });
  }

  list(): Pipeline[] {
    return [...this.pipelines.values()].filter((p) => !p.archived);
  }

  get(id: string): Pipeline | undefined {
    const pipeline = this.pipelines.get(id);
    return pipeline && !pipeline.archived ? pipeline : undefined;
  }

  /** Validates and creates a deal pipeline, as `POST /crm/v3/pipelines/deals` does. */
  create(raw: unknown, now: string): Pipeline {
    const input = (raw ?? {}) as { label?: unknown; displayOrder?: unknown; stages?: unknown };
    if (typeof input.label !== 'string' || input.label.trim() === '') throw validationError('Invalid input JSON: "label" is required.');
    if (input.label.length > MAX_LABEL) throw validationError(`A pipeline label is at most ${MAX_LABEL} characters; "${input.label}" has ${input.label.length}.`);
    if (this.list().some((p) => p.label.toLowerCase() === String(input.label).toLowerCase())) {
      throw new ApiError(409, 'CONFLICT', `A pipeline with the label "${input.label}" already exists.`, {});
    }
    if (!Array.isArray(input.stages) || input.stages.length === 0) throw validationError('A pipeline needs at least one stage.');
    if (input.stages.length > MAX_STAGES) throw validationError(`A pipeline has at most ${MAX_STAGES} stages.`);
    const labels = new Set<string>();
    const stages = input.stages.map((entry: { label?: unknown; displayOrder?: unknown; metadata?: unknown }, index): PipelineStage => {
      if (typeof entry?.label !== 'string' || entry.label === '') throw validationError(`Invalid input JSON: "stages[${index}].label" is required.`);
      if (labels.has(entry.label.toLowerCase())) throw validationError(`Each stage label must be unique within the pipeline; "${entry.label}" repeats.`);
      labels.add(entry.label.toLowerCase());
      const metadata = (entry.metadata ?? {}) as Record<string, unknown>;
      const probability = Number(metadata.probability);
      // Deal stages need a probability between 0 and 1.
      if (metadata.probability === undefined || !Number.isFinite(probability) || probability < 0 || probability > 1) {
        throw validationError(`stages[${index}].metadata.probability is required for deal stages and must be between 0.0 and 1.0.`);
      }
      return {
        id: String(this.nextId++),
        label: entry.label,
        displayOrder: typeof entry.displayOrder === 'number' ? entry.displayOrder : index,
        metadata: { probability: String(probability), isClosed: String(metadata.isClosed === true || metadata.isClosed === 'true') },
        createdAt: now,
        updatedAt: now,
        archived: false,
      };
    });
    const pipeline: Pipeline = {
      id: String(this.nextId++),
      label: input.label,
      displayOrder: typeof input.displayOrder === 'number' ? input.displayOrder : 0,
      stages,
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
    this.pipelines.set(pipeline.id, pipeline);
    return pipeline;
  }

  /** The stage ids of every live pipeline (the options HubSpot's `dealstage` shows). */
  allStageIds(): string[] {
    return this.list().flatMap((p) => p.stages.filter((s) => !s.archived).map((s) => s.id));
  }
}

export function viewPipeline(pipeline: Pipeline): Record<string, unknown> {
  return { ...pipeline, stages: pipeline.stages.map((s) => ({ ...s, metadata: { ...s.metadata } })) };
}
