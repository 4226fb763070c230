import { describe, expect, it } from 'vitest';
import { createLogger, isLogLevel } from '../../src/logging/create-logger.js';

describe('createLogger', () => {
  it('is silent with false and honours a level', () => {
    expect(createLogger(false).isLevelEnabled('fatal')).toBe(false);
    const debug = createLogger('debug');
    expect(debug.isLevelEnabled('debug')).toBe(true);
    expect(createLogger('warn').isLevelEnabled('info')).toBe(false);
    expect(isLogLevel('trace')).toBe(true);
    expect(isLogLevel('loud')).toBe(false);
  });
});
