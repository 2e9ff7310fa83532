import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/platform/http/problem.js';
import { schemaIssueCodes, validationReasons } from '../../src/shared/validation-reasons.js';

/**
 * Every problem the API can answer has its own sentence in the web app, in Korean and in English,
 * and so has every reason a field can be refused for: a new code or reason without both fails here
 * (issue 22: no raw validator text on the pages). The messages module has no DOM, so it loads here.
 */
type Messages = {
  problemMessages: Record<string, string>;
  validationMessages: Record<string, (e: { reason?: string; minimum?: number; maximum?: number; origin?: string }) => string>;
};
const load = async (lang: 'ko' | 'en') => (await import(`../../src/web/assets/problem-messages.${lang}.js` as string)) as Messages;
const [ko, en] = [await load('ko'), await load('en')];
const problemMessages = { ko: ko.problemMessages, en: en.problemMessages };
const validationMessages = { ko: ko.validationMessages, en: en.validationMessages };

const hangul = /[\uac00-\ud7a3]/;

describe('web app: a message for every problem, in both languages', () => {
  it('has a Korean and an English sentence for every problem code, and no sentence for a code the API does not have', () => {
    expect(errorCodes.length).toBeGreaterThan(40);
    for (const lang of ['ko', 'en'] as const) {
      const missing = errorCodes.filter((code) => !(typeof problemMessages[lang][code] === 'string' && problemMessages[lang][code].trim().length > 0));
      expect(missing, `${lang}: codes without a message`).toEqual([]);
      const unknown = Object.keys(problemMessages[lang]).filter((code) => code !== 'default' && !errorCodes.includes(code as never));
      expect(unknown, `${lang}: messages for codes the API does not answer`).toEqual([]);
    }
  });

  it('writes Korean in Korean and English in English', () => {
    for (const code of [...errorCodes, 'default']) {
      expect(problemMessages.ko[code], code).toMatch(hangul);
      expect(problemMessages.en[code], code).not.toMatch(hangul);
    }
  });

  it('has words for every reason a field can be refused for, with its bound', () => {
    for (const reason of [...validationReasons, ...schemaIssueCodes, 'default']) {
      for (const lang of ['ko', 'en'] as const) {
        const say = validationMessages[lang][reason];
        expect(typeof say, `${lang}: ${reason}`).toBe('function');
        const text = say!({ reason, minimum: 2, maximum: 20_000, origin: 'number' });
        expect(text, `${lang}: ${reason}`).not.toMatch(/undefined|NaN|\[object/);
        if (lang === 'ko') expect(text, reason).toMatch(hangul);
        else expect(text, reason).not.toMatch(hangul);
      }
    }
    // A bound is said, never dropped: "at least 2", "at most 20,000".
    expect(validationMessages.en.too_small!({ minimum: 2, origin: 'number' })).toContain('2');
    expect(validationMessages.ko.TOO_MANY_SEATS_PER_SCHEDULE!({ maximum: 20_000 })).toContain('20,000');
    expect(validationMessages.en.too_small!({ minimum: 1, origin: 'string' })).toBe('Please fill this in.');
  });
});
