/** `/v1/rollouts` over the real HTTP layer and the fake HubApi (a real engine, in memory). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle } from '../http/fake-hub-api.js';
import { send, sendAsOperator, startTestApi } from '../http/http-test-server.js';
import type { TestApi } from '../http/http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
  await hub.api.publishRelease(fakeBundle('pm', '1.0.0'));
  for (let i = 0; i < 4; i++) await hub.api.enrollDevice(`press-${i}`, { site: 'a' });
  await hub.api.enrollDevice('other-0', { site: 'b' });
});
afterEach(async () => {
  await hub.close();
});

const create = (body: unknown) => sendAsOperator(hub.url, 'POST', '/v1/rollouts', body);
const BODY = { release: 'pm@1.0.0', selector: 'site=a', waves: '50,100', soak: '10m' };

interface Status {
  rollout: { id: string; state: string; options: Record<string, unknown> };
  waves: { index: number; state: string; size: number; counts: Record<string, number> }[];
  devices: { total: number };
}

async function created(body: unknown = BODY): Promise<Status> {
  const res = await create(body);
  expect(res.status).toBe(201);
  return res.json() as Status;
}

describe('POST /v1/rollouts', () => {
  it('starts a rollout with the options as the CLI passes them: 201 with its status', async () => {
    const status = await created({
      ...BODY,
      maxFailures: '5%',
      minSuccess: '90%',
      minReported: 2,
      gates: ['error-rate<1%', 'p95-latency<1.2x'],
      rate: '100/min',
      onFailure: 'rollback',
      deviceTimeout: '30m',
    });
    expect(status.rollout).toMatchObject({
      id: 'ro-test000001',
      state: 'running',
      options: {
        release: { name: 'pm', version: '1.0.0' },
        selector: { site: 'a' },
        waves: [50, 100],
        soakMs: 600_000,
        maxFailures: 0.05,
        minSuccess: 0.9,
        minReported: 2,
        gates: ['error-rate<1%', 'p95-latency<1.2x'],
        ratePerMinute: 100,
        onFailure: 'rollback',
        deviceTimeoutMs: 1_800_000,
      },
    });
    expect(status.devices.total).toBe(4);
    expect(status.waves.map((w) => [w.state, w.size])).toEqual([
      ['scheduled', 2],
      ['scheduled', 2],
    ]);
  });

  it('accepts numbers and JSON arrays too', async () => {
    const status = await created({
      release: 'pm@1.0.0',
      selector: { site: 'a' },
      waves: [['press-0'], ['press-1', 'press-2']],
      soak: 0,
      maxFailures: 0,
    });
    expect(status.waves.map((w) => w.size)).toEqual([1, 2]);
    expect(status.rollout.options).toMatchObject({ soakMs: 0, maxFailures: 0 });
  });

  it('names what is wrong: bad options 400, unknown release 404, a conflict 409', async () => {
    const bad = await create({ ...BODY, waves: '10,50' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_WAVES' } });
    const gate = await create({ ...BODY, gates: ['latency<5'] });
    expect(gate.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_GATE' } });
    expect((await create({ ...BODY, soak: 'soon' })).json()).toMatchObject({
      error: { code: 'EF_HUB_ROLLOUT_SOAK' },
    });
    const unknownField = await create({ ...BODY, waveCount: 3 });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_VALIDATION' } });
    expect((await create({ release: 'pm@1.0.0' })).status).toBe(400);

    const release = await create({ ...BODY, release: 'pm@9.0.0' });
    expect(release.status).toBe(404);
    expect(release.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_UNKNOWN_RELEASE' } });
    const nobody = await create({ ...BODY, selector: 'site=zz' });
    expect(nobody.status).toBe(400);
    expect(nobody.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_NO_DEVICES' } });

    await created();
    const conflict = await create(BODY);
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_CONFLICT' } });
  });

  it('needs the operator token', async () => {
    const res = await send(hub.url, 'POST', '/v1/rollouts', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BODY),
    });
    expect(res.status).toBe(401);
    expect(hub.api.calls).not.toContain('createRollout');
  });
});

describe('/v1/rollouts/{id}', () => {
  it('lists, shows, and follows the event log with ?after=', async () => {
    const { rollout } = await created();
    await hub.api.advanceRollouts();
    const list = await sendAsOperator(hub.url, 'GET', '/v1/rollouts');
    expect((list.json() as { id: string }[]).map((r) => r.id)).toEqual([rollout.id]);

    const status = (await sendAsOperator(hub.url, 'GET', `/v1/rollouts/${rollout.id}`)).json();
    expect((status as Status).waves[0]).toMatchObject({ state: 'running' });

    const all = (
      await sendAsOperator(hub.url, 'GET', `/v1/rollouts/${rollout.id}/events`)
    ).json() as { id: number; type: string; ts: string }[];
    expect(all[0]).toMatchObject({ type: 'rollout-created', rolloutId: rollout.id });
    expect(all[0]?.ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    const last = all.at(-1)?.id ?? 0;
    const tail = await sendAsOperator(
      hub.url,
      'GET',
      `/v1/rollouts/${rollout.id}/events?after=${all[0]?.id}`,
    );
    expect((tail.json() as unknown[]).length).toBe(all.length - 1);
    const none = await sendAsOperator(
      hub.url,
      'GET',
      `/v1/rollouts/${rollout.id}/events?after=${last}`,
    );
    expect(none.json()).toEqual([]);
    const badAfter = await sendAsOperator(
      hub.url,
      'GET',
      `/v1/rollouts/${rollout.id}/events?after=x`,
    );
    expect(badAfter.status).toBe(400);
  });

  it('an unknown rollout is 404, a malformed id 400', async () => {
    const res = await sendAsOperator(hub.url, 'GET', '/v1/rollouts/ro-nothere000');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_UNKNOWN' } });
    expect((await sendAsOperator(hub.url, 'POST', '/v1/rollouts/ro-nothere000/pause')).status).toBe(
      404,
    );
    expect((await sendAsOperator(hub.url, 'GET', '/v1/rollouts/%20bad')).status).toBe(400);
  });

  it('pause, resume, abort and rollback move the rollout; a wrong move is 409', async () => {
    const { rollout } = await created();
    const act = (action: string) =>
      sendAsOperator(hub.url, 'POST', `/v1/rollouts/${rollout.id}/${action}`);
    const paused = await act('pause');
    expect(paused.status).toBe(200);
    expect((paused.json() as Status).rollout.state).toBe('paused');
    const again = await act('pause');
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'EF_HUB_ROLLOUT_TRANSITION' } });
    expect(((await act('resume')).json() as Status).rollout.state).toBe('running');
    expect(((await act('abort')).json() as Status).rollout.state).toBe('aborted');
    expect((await act('resume')).status).toBe(409);
    expect(((await act('rollback')).json() as Status).rollout.state).toBe('rolled-back');
  });

  it('every rollout route is in the OpenAPI document', async () => {
    const doc = (await send(hub.url, 'GET', '/openapi.json')).json() as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(
      expect.arrayContaining([
        'createRollout',
        'listRollouts',
        'getRolloutStatus',
        'listRolloutEvents',
        'pauseRollout',
        'resumeRollout',
        'abortRollout',
        'rollbackRollout',
      ]),
    );
    expect(doc.paths['/v1/rollouts/{id}/events']?.['get']).toBeDefined();
    // Every $ref the rollout routes add points at a component.
    const components = (doc as unknown as { components: { schemas: Record<string, unknown> } })
      .components.schemas;
    const refs = JSON.stringify(doc.paths).match(/#\/components\/schemas\/[A-Za-z0-9]+/g) ?? [];
    for (const r of refs) expect(components).toHaveProperty(r.split('/').at(-1) as string);
    expect(components['createRolloutRequest']).toMatchObject({
      type: 'object',
      required: ['release', 'selector', 'waves', 'soak'],
      additionalProperties: false,
    });
  });
});
