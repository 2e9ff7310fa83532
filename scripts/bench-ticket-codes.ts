// Ticket codes: the cost of one rotating code (Ed25519 sign) and of one check (verify), per code. `npx tsx scripts/bench-ticket-codes.ts`
import { ScheduleKeys } from '../src/ticketing/codes-keys.js';
import { TicketCodeSigner } from '../src/ticketing/codes-signed.js';
const s = new TicketCodeSigner(new ScheduleKeys('s'.repeat(40)));
const t = { id: 9001, scheduleId: 12, serial: '9f1c0e5a7b2d4c3e8a6f0b1d2c3e4f5a' };
const n = 5000; let code = '';
let t0 = performance.now(); for (let i = 0; i < n; i++) code = s.rotating(t, new Date()).code; const sign = (performance.now() - t0) * 1000 / n;
t0 = performance.now(); for (let i = 0; i < n; i++) s.verify(code, { at: new Date() }); const verify = (performance.now() - t0) * 1000 / n;
console.log(`sign ${sign.toFixed(1)} µs/code, verify ${verify.toFixed(1)} µs/code, code length ${code.length}`);
