import { describe, expect, it } from 'vitest';
import { MqttFrameSizeGuard } from '../../src/broker/embedded-broker.js';

/** An MQTT packet header: type byte then the remaining length as a variable-length integer. */
function header(type: number, remaining: number): Buffer {
  const bytes = [type];
  let n = remaining;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

describe('MqttFrameSizeGuard', () => {
  it('accepts packets up to the limit, split across chunks anywhere', () => {
    const stream = Buffer.concat([
      header(0x30, 300),
      Buffer.alloc(300, 7),
      header(0xc0, 0),
      header(0x32, 1000),
      Buffer.alloc(1000, 1),
    ]);
    for (const step of [1, 2, 3, 64, stream.length]) {
      const guard = new MqttFrameSizeGuard(1000);
      for (let i = 0; i < stream.length; i += step) {
        expect(guard.feed(stream.subarray(i, i + step))).toBe(true);
      }
    }
  });

  it('refuses a packet declaring more than the limit from its header alone', () => {
    const guard = new MqttFrameSizeGuard(1000);
    expect(guard.feed(Buffer.concat([header(0x30, 10), Buffer.alloc(10)]))).toBe(true);
    expect(guard.feed(header(0x30, 1001))).toBe(false);
    expect(new MqttFrameSizeGuard(1 << 20).feed(header(0x30, 10 * 1024 * 1024))).toBe(false);
  });

  it('refuses a remaining length longer than four bytes', () => {
    const guard = new MqttFrameSizeGuard(Number.MAX_SAFE_INTEGER);
    expect(guard.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe(false);
  });
});
