import { describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import {
  generateDeviceSecret,
  hashDeviceSecret,
  verifyDeviceSecret,
} from '../../src/broker/device-secrets.js';

describe('device secrets', () => {
  it('generates 32 random bytes as base64url', () => {
    const a = generateDeviceSecret();
    const b = generateDeviceSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('hashes with a salt and encoded parameters, and verifies', async () => {
    const secret = generateDeviceSecret();
    const h1 = await hashDeviceSecret(secret);
    const h2 = await hashDeviceSecret(secret);
    expect(h1).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(secret);
    expect(await verifyDeviceSecret(secret, h1)).toBe(true);
    expect(await verifyDeviceSecret(secret, h2)).toBe(true);
    expect(await verifyDeviceSecret(`${secret}x`, h1)).toBe(false);
    expect(await verifyDeviceSecret('', h1)).toBe(false);
  });

  it('refuses malformed hashes and out-of-bounds parameters with a coded error', async () => {
    const h = await hashDeviceSecret('s3cret-s3cret');
    for (const bad of [
      'plain',
      h.replace('N=16384', 'N=16383'),
      h.replace('N=16384', 'N=67108864'),
      h.replace('r=8', 'r=99'),
    ]) {
      await expect(verifyDeviceSecret('s3cret-s3cret', bad)).rejects.toSatisfy((e: unknown) =>
        isEdgefleetError(e, 'EF_HUB_BROKER_SECRET_HASH'),
      );
    }
  });
});
