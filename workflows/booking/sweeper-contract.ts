/** The hold sweeper's contract: the every-minute safety net for holds whose workflow is gone (a Temporal Schedule starts it). */
export const SWEEPER_SCHEDULE_ID = 'hold-sweeper';
export const SWEEPER_WORKFLOW_ID = 'hold-sweeper';
export const SWEEPER_WORKFLOW_TYPE = 'holdSweeperWorkflow';
export type SweeperResult = { released: number };
