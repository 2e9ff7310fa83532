import { describe, expect, it } from 'vitest';
import { chooseCoding } from '../../src/platform/http/representation.js';

describe('Accept-Encoding negotiation for large JSON', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['GZIP ; q=0.8', 'gzip'],
    ['deflate', undefined],
  ])('%j -> %j', (header, coding) => {
    expect(chooseCoding(header)).toBe(coding);
  });
});
