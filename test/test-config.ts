// The gateway's configuration for tests: the defaults of local mode, a fixed cursor secret, no
// logs, with overrides. Read through loadConfig like the real thing, so defaults cannot drift.
import { type GatewayConfig, loadConfig } from '../src/config.js';

export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    ...loadConfig({ CURSOR_SECRET: 'test-cursor-secret-0123456789-abcdef', LOG_LEVEL: 'silent' }),
    ...overrides,
  };
}
