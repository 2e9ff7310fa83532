export { reservationWorkflow, holdUpdate, payUpdate, cancelUpdate, stateQuery } from './reservation.js';
export { refundReservationWorkflow } from './refund.js';
export { holdSweeperWorkflow } from './sweeper.js';
