import { describe, expect, it } from 'vitest';
import { deviceSubscriptions, hubSubscriptions, topics } from '@edgefleet/protocol';
import {
  canPublish,
  canSubscribe,
  devicePrincipal,
  isValidTopicFilter,
} from '../../src/broker/broker-acl.js';
import type { BrokerPrincipal } from '../../src/broker/broker-acl.js';

const hub: BrokerPrincipal = { kind: 'hub' };
const a: BrokerPrincipal = { kind: 'device', deviceId: 'dev-a' };

describe('broker ACL: publish', () => {
  it.each([
    [topics.status('dev-a'), true],
    [topics.blobReq('dev-a'), true],
    [topics.telemetry('dev-a', 'health'), true],
    [topics.birth('dev-a'), true],
    [topics.death('dev-a'), true],
    [topics.desired('dev-a'), false],
    [topics.blobRes('dev-a'), false],
    [topics.ack('dev-a'), false],
    [topics.hubState(), false],
    [topics.status('dev-b'), false],
    [topics.telemetry('dev-b', 'health'), false],
    ['ef/v1/d/dev-a/tel/unknown-stream', false],
    ['ef/v1/d/dev-a/other', false],
    ['ef/v1/d/dev-a', false],
    ['ef/v1/d/dev-a/status/extra', false],
    ['ef/v1/d/+/status', false],
    ['ef/v1/d/dev-a/#', false],
    ['$SYS/x', false],
    ['other/topic', false],
    ['', false],
  ])('device dev-a publishing %j -> %s', (topic, allowed) => {
    expect(canPublish(a, topic).allowed).toBe(allowed);
  });

  it('lets the hub publish any concrete topic, never a wildcard', () => {
    expect(canPublish(hub, topics.desired('dev-a')).allowed).toBe(true);
    expect(canPublish(hub, topics.hubState()).allowed).toBe(true);
    expect(canPublish(hub, 'anything/else').allowed).toBe(true);
    expect(canPublish(hub, 'ef/v1/d/+/desired').allowed).toBe(false);
    expect(canPublish(hub, 'ef/#').allowed).toBe(false);
    expect(canPublish(hub, '').allowed).toBe(false);
    expect(canPublish(hub, 'a\u0000b').allowed).toBe(false);
  });

  it('gives a reason when refusing', () => {
    const d = canPublish(a, topics.status('dev-b'));
    expect(d).toEqual({ allowed: false, reason: "another device's topic" });
  });
});

describe('broker ACL: subscribe', () => {
  it.each([
    ['ef/v1/d/dev-a/#', true],
    ['ef/v1/d/dev-a/desired', true],
    ['ef/v1/d/dev-a/+', true],
    ['ef/v1/d/dev-a/tel/+', true],
    [topics.hubState(), true],
    ['ef/v1/d/dev-b/#', false],
    ['ef/v1/d/dev-b/desired', false],
    ['ef/v1/d/+/desired', false],
    ['ef/v1/d/#', false],
    ['ef/v1/#', false],
    ['#', false],
    ['ef/v1/hub/#', false],
    ['ef/v1/d/dev-a', false],
    ['ef/v1/d/dev-a/', false],
    ['ef/v1/d/dev-a/de#', false],
    ['ef/v1/d/dev-a/#/x', false],
    ['ef/v1/d/dev-a/a+', false],
    ['$share/g/ef/v1/d/dev-a/#', false],
    ['$SYS/#', false],
  ])('device dev-a subscribing %j -> %s', (filter, allowed) => {
    expect(canSubscribe(a, filter).allowed).toBe(allowed);
  });

  it('allows the protocol subscriptions of hub and device ([P-TP-4])', () => {
    for (const f of hubSubscriptions) expect(canSubscribe(hub, f).allowed).toBe(true);
    for (const f of deviceSubscriptions('dev-a')) expect(canSubscribe(a, f).allowed).toBe(true);
    for (const f of deviceSubscriptions('dev-b')) {
      if (f !== topics.hubState()) expect(canSubscribe(a, f).allowed).toBe(false);
    }
    for (const f of hubSubscriptions) expect(canSubscribe(a, f).allowed).toBe(false);
  });

  it('refuses malformed filters even to the hub', () => {
    expect(canSubscribe(hub, '#').allowed).toBe(true);
    expect(canSubscribe(hub, 'a/#/b').allowed).toBe(false);
    expect(isValidTopicFilter('a/+/b/#')).toBe(true);
    expect(isValidTopicFilter('a/b+')).toBe(false);
  });

  it('builds device principals only for valid ids ([P-TP-2])', () => {
    expect(devicePrincipal('dev-a')).toEqual(a);
    expect(devicePrincipal('Dev/A')).toBeUndefined();
    expect(devicePrincipal('a+')).toBeUndefined();
  });
});
