import { describe, expect, it } from 'vitest';
import { answerFromLine, type LineView } from '../../src/queue/line.js';
import { parseToken, tokenPayload } from '../../src/queue/domain.js';

/** Line of sequences 11..20 after 10 admissions; 13 and 17 left from the middle. */
const line: LineView = { headSeq: 11, lastSeq: 20, admittedSeq: 10, gone: [13, 17], opened: true, saleEnded: null };

describe('answering a poll from a snapshot of the line', () => {
  it('counts the exact place from the head, minus those who left in front', () => {
    expect(answerFromLine(line, 11, false)).toEqual({ kind: 'WAITING', position: 1 });
    expect(answerFromLine(line, 12, false)).toEqual({ kind: 'WAITING', position: 2 });
    expect(answerFromLine(line, 14, false)).toEqual({ kind: 'WAITING', position: 3 });
    expect(answerFromLine(line, 20, false)).toEqual({ kind: 'WAITING', position: 8 });
  });

  it('asks Redis about whatever the snapshot cannot settle', () => {
    expect(answerFromLine(line, 10, false).kind).toBe('ASK'); // admitted (or left) before
    expect(answerFromLine(line, 21, false).kind).toBe('ASK'); // joined after the snapshot
    expect(answerFromLine(line, 13, false).kind).toBe('ASK'); // left the line
    expect(answerFromLine(line, 12, true).kind).toBe('ASK'); // this process learned it no longer waits
    expect(answerFromLine(line, undefined, false).kind).toBe('ASK'); // an old token without a place
    expect(answerFromLine({ ...line, headSeq: null }, 15, false).kind).toBe('ASK');
    // After the opening draw, a pre-queue token learns its place once, from Redis.
    expect(answerFromLine(line, 0, false).kind).toBe('ASK');
  });

  it('answers the pre-queue until the draw, and the end of the sale to everyone still waiting', () => {
    const pre = { ...line, opened: false, headSeq: null, lastSeq: 0, admittedSeq: 0, gone: [] };
    expect(answerFromLine(pre, 0, false)).toEqual({ kind: 'WAITING', position: null });
    expect(answerFromLine({ ...pre, saleEnded: 'CLOSED' }, 0, false)).toEqual({ kind: 'ENDED', reason: 'CLOSED' });
    // The script emptied the line: waiters are told SOLD_OUT; admitted buyers keep their place (asked of Redis).
    const ended = { ...line, headSeq: null, gone: [], saleEnded: 'SOLD_OUT' as const };
    expect(answerFromLine(ended, 15, false)).toEqual({ kind: 'ENDED', reason: 'SOLD_OUT' });
    expect(answerFromLine(ended, 9, false).kind).toBe('ASK');
  });
});

describe('queue tokens that carry the place in line', () => {
  it('signs the join sequence (q2) and still reads the tokens issued before it (q1)', () => {
    const sig = 'a'.repeat(43);
    const v2 = `${tokenPayload({ scheduleId: 7, userId: 42, tokenId: 'abcdefghijklmnopqrstuv', seq: 1234 })}.${sig}`;
    expect(v2.startsWith('q2.7.42.abcdefghijklmnopqrstuv.1234.')).toBe(true);
    expect(parseToken(v2)?.claims).toEqual({ scheduleId: 7, userId: 42, tokenId: 'abcdefghijklmnopqrstuv', seq: 1234 });
    expect(parseToken(`q1.7.42.abcdefghijklmnopqrstuv.${sig}`)?.claims).toEqual({ scheduleId: 7, userId: 42, tokenId: 'abcdefghijklmnopqrstuv' });
    // The place is under the signature: changing it changes the signed payload.
    expect(parseToken(v2.replace('.1234.', '.1.'))?.payload).not.toBe(parseToken(v2)?.payload);
  });
});
