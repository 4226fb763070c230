import { describe, expect, it } from 'vitest';
import { canTransition, DEVICE_DEPLOYMENT_STATES } from '@edgefleet/protocol';
import { transitionPath } from '../../src/rollouts/index.js';

describe('transitionPath', () => {
  it('walks skipped happy-path steps, never through a failure or a timeout', () => {
    expect(transitionPath('notified', 'healthy')).toEqual([
      'downloading',
      'verified',
      'installed',
      'healthy',
    ]);
    expect(transitionPath('pending', 'installed')).toEqual([
      'downloading',
      'verified',
      'installed',
    ]);
    expect(transitionPath('timed-out', 'healthy')).toEqual(['healthy']);
    expect(transitionPath('downloading', 'downloading')).toEqual([]);
    expect(transitionPath('installed', 'verified')).toBeNull();
    expect(transitionPath('healthy', 'downloading')).toBeNull();
    expect(transitionPath('timed-out', 'installed')).toBeNull();
    expect(transitionPath('failed', 'healthy')).toBeNull();
  });

  it('returns only paths the protocol allows step by step', () => {
    for (const from of DEVICE_DEPLOYMENT_STATES) {
      for (const to of DEVICE_DEPLOYMENT_STATES) {
        const path = transitionPath(from, to);
        if (path === null || path.length === 0) continue;
        let state = from;
        for (const step of path) {
          expect(canTransition(state, step), `${from}->${to} via ${state}->${step}`).toBe(true);
          state = step;
        }
        expect(state).toBe(to);
        expect(
          path.slice(0, -1).some((s) => ['failed', 'timed-out', 'rolled-back'].includes(s)),
        ).toBe(false);
      }
    }
  });
});
