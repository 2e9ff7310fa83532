import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEV_CODEC_SECRET, loadConfig } from '../../src/config.js';

/**
 * The development stacks open the Temporal Web UI with payloads decrypted: the UI's codec endpoint
 * is the API's /codec/ui/<secret>, and that secret is the one the API uses by default in development.
 */
describe('Temporal UI codec setup of the development stacks', () => {
  const uiPath = `/codec/ui/${DEV_CODEC_SECRET}`;

  it('the API has the development codec secret in development only, and refuses it in production', () => {
    expect(loadConfig({}).CODEC_SHARED_SECRET).toBe(DEV_CODEC_SECRET);
    expect(loadConfig({ NODE_ENV: 'test' }).CODEC_SHARED_SECRET).toBeUndefined();
    expect(loadConfig({ CODEC_SHARED_SECRET: 'x'.repeat(40) }).CODEC_SHARED_SECRET).toBe('x'.repeat(40));
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40), DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), METRICS_TOKEN: 'm'.repeat(40), TICKET_CODE_SEED: 't'.repeat(40), STRIPE_WEBHOOK_SECRET: `whsec_${'w'.repeat(32)}` };
    expect(loadConfig(prod).CODEC_SHARED_SECRET).toBeUndefined();
    expect(() => loadConfig({ ...prod, CODEC_SHARED_SECRET: DEV_CODEC_SECRET })).toThrow(/CODEC_SHARED_SECRET/);
  });

  it('scripts/stack.sh starts the dev UI with the API codec endpoint (the test profile has no UI)', () => {
    const script = readFileSync(new URL('../../scripts/stack.sh', import.meta.url), 'utf8');
    expect(script).toContain(`http://127.0.0.1:\${API_PORT:-3000}/codec/ui/\${CODEC_SHARED_SECRET:-${DEV_CODEC_SECRET}}`);
    expect(script).toMatch(/ui=\(--ui-port "\$TEMPORAL_UI_PORT" --ui-codec-endpoint "\$TEMPORAL_UI_CODEC_ENDPOINT"\)/);
  });

  it('docker compose gives the UI the codec endpoint with the same secret as the app services', () => {
    const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    const cmd = compose.services.temporal!.command!;
    const endpoint = cmd[cmd.indexOf('--ui-codec-endpoint') + 1];
    const secret = `\${CODEC_SHARED_SECRET:-${DEV_CODEC_SECRET}}`;
    expect(endpoint).toBe(`http://localhost:3000/codec/ui/${secret}`);
    expect(compose.services.api!.environment!.CODEC_SHARED_SECRET).toBe(secret);
  });
});
