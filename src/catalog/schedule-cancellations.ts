import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  cancellationPhaseKey,
  cancellationProcessedKey,
  cancellationProgressQuery,
  concertIdKey,
  SCHEDULE_CANCELLATION_WORKFLOW_TYPE,
  scheduleCancellationWorkflowId,
  scheduleIdKey,
  userIdKey,
  type CancellationProgress,
  startingProgress,
  type ScheduleCancellationWorkflow,
} from '../../workflows/catalog/schedule-cancellation-contract.js';

export interface CancellationSettings {
  batchSize: number;
  batchesPerRun: number;
  /** CANCELLATION_WORKFLOW_ID_PREFIX */
  workflowIdPrefix: string;
}

/** The API's port to the performance-cancellation workflow (Temporal behind it). */
export class ScheduleCancellations {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly settings: CancellationSettings,
  ) {}

  /**
   * Starts the schedule's cancellation, or joins the one that runs or ran: one workflow per schedule,
   * so a repeated request (another admin, a retry) never starts a second one. A failed run may be
   * started again. Answers with the progress as it is now.
   */
  async start(s: { scheduleId: number; concertId: number; adminId: number; reason: string }): Promise<CancellationProgress> {
    try {
      await this.client.workflow.start<ScheduleCancellationWorkflow>(SCHEDULE_CANCELLATION_WORKFLOW_TYPE, {
        workflowId: scheduleCancellationWorkflowId(s.scheduleId, this.settings.workflowIdPrefix),
        taskQueue: this.taskQueue,
        args: [{ scheduleId: s.scheduleId, adminId: s.adminId, reason: s.reason, batchSize: this.settings.batchSize, batchesPerRun: this.settings.batchesPerRun }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: scheduleIdKey, value: String(s.scheduleId) },
          { key: concertIdKey, value: String(s.concertId) },
          { key: userIdKey, value: String(s.adminId) },
          { key: cancellationPhaseKey, value: 'STOPPING_SALES' },
          { key: cancellationProcessedKey, value: 0 },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // it already completed: report it
    }
    return (await this.progress(s.scheduleId)) ?? startingProgress(s.scheduleId, s.reason, new Date());
  }

  /**
   * The cancellation's progress: its `progress` query (which also answers on a closed run), or, when
   * no worker answers within `queryTimeoutMs` (all workers down), the phase and count its search
   * attributes last recorded. Undefined when the schedule was never cancelled.
   */
  async progress(scheduleId: number, queryTimeoutMs = 3_000): Promise<CancellationProgress | undefined> {
    const handle = this.client.workflow.getHandle(scheduleCancellationWorkflowId(scheduleId, this.settings.workflowIdPrefix));
    let described;
    try {
      described = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    const query = handle.query(cancellationProgressQuery);
    query.catch(() => {}); // answered below, or abandoned after the timeout
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), queryTimeoutMs)));
    const answered = await Promise.race([query, late]).catch(() => undefined).finally(() => clearTimeout(timer));
    if (answered) return answered;
    const phase = described.typedSearchAttributes.get(cancellationPhaseKey);
    const processed = described.typedSearchAttributes.get(cancellationProcessedKey);
    return { ...startingProgress(scheduleId, '', new Date()), startedAt: described.startTime.toISOString(), phase: (phase as CancellationProgress['phase']) ?? 'STOPPING_SALES', processed: Number(processed ?? 0) };
  }
}

