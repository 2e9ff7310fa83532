import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('has defaults that point at the local stack', () => {
    const c = loadConfig({});
    expect(c.MYSQL_URL).toBe('mysql://booking:booking@127.0.0.1:3306/booking');
    expect(c.HOLD_TTL_SECONDS).toBe(300);
    expect(c.MAX_SEATS_PER_RESERVATION).toBe(4);
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('fails at start with a message naming each bad variable', () => {
    expect(() => loadConfig({ API_PORT: 'eighty', HOLD_TTL_SECONDS: '-1' })).toThrow(ConfigError);
    // One error names all three, so an operator fixes them in one go.
    let message = '';
    try {
      loadConfig({ API_PORT: 'eighty', HOLD_TTL_SECONDS: '-1', MYSQL_URL: 'not a url' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/API_PORT/);
    expect(message).toMatch(/HOLD_TTL_SECONDS/);
    expect(message).toMatch(/MYSQL_URL/);
  });

  it('refuses development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') })).toThrow(/METRICS_TOKEN must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), METRICS_TOKEN: 'm'.repeat(40) })).toThrow(
      /TICKET_CODE_SEED must be set in production/,
    );
    const base = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), METRICS_TOKEN: 'm'.repeat(40), TICKET_CODE_SEED: 't'.repeat(40) };
    expect(() => loadConfig(base)).toThrow(/STRIPE_WEBHOOK_SECRET must be set in production/);
    expect(loadConfig({ ...base, PAYMENT_PROVIDER: 'none' }).PAYMENT_PROVIDER).toBe('none');
    const ok = loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_production_secret_0123456789' });
    expect(ok.NODE_ENV).toBe('production');
  });
});
