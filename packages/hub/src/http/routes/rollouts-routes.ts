/**
 * `/v1/rollouts`: staged rollouts (DESIGN section 7): create, list, status, the event log that
 * `rollout status --watch` follows, and the operator's pause, resume, abort and rollback.
 */
import { z } from 'zod';
import type { RolloutProgressView } from '../../api/hub-api.js';
import type { HubApi } from '../../api/hub-api.js';
import {
  CreateRolloutBodySchema,
  EmptyQuerySchema,
  RolloutEventsQuerySchema,
  RolloutEventViewSchema,
  RolloutIdParamSchema,
  RolloutProgressViewSchema,
  RolloutViewSchema,
} from '../api-schemas.js';
import { defineRoute, param } from '../route-spec.js';
import type { RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

type Empty = z.infer<typeof EmptyQuerySchema>;

const ACTIONS = [
  {
    action: 'pause',
    operationId: 'pauseRollout',
    summary:
      'Pause a running rollout: no device is notified until it resumes; statuses are still followed.',
    call: (api: HubApi, id: string) => api.pauseRollout(id),
  },
  {
    action: 'resume',
    operationId: 'resumeRollout',
    summary:
      'Resume a paused rollout. After a failed wave this is the override: the next wave starts.',
    call: (api: HubApi, id: string) => api.resumeRollout(id),
  },
  {
    action: 'abort',
    operationId: 'abortRollout',
    summary:
      'Abort a running or paused rollout: nothing more is sent; devices stay where they are.',
    call: (api: HubApi, id: string) => api.abortRollout(id),
  },
  {
    action: 'rollback',
    operationId: 'rollbackRollout',
    summary:
      'Roll back: every device the rollout touched gets a newer desired state with its previous release (allowDowngrade).',
    call: (api: HubApi, id: string) => api.rollbackRollout(id),
  },
] as const satisfies readonly {
  action: string;
  operationId: string;
  summary: string;
  call: (api: HubApi, id: string) => Promise<RolloutProgressView>;
}[];

export const rolloutRoutes: readonly RouteSpec[] = [
  defineRoute<Empty, z.infer<typeof CreateRolloutBodySchema>>({
    method: 'POST',
    path: '/v1/rollouts',
    operationId: 'createRollout',
    summary:
      'Start a staged rollout of a release to the devices matching a selector, in waves gated on failures, success share, soak time and health gates.',
    tag: 'rollouts',
    auth: 'operator',
    query: EmptyQuerySchema,
    body: { kind: 'json', schema: CreateRolloutBodySchema },
    responses: {
      201: { description: 'Started; its status.', schema: RolloutProgressViewSchema },
      ...errorResponses(400, 401, 404, 409, 413, 415),
    },
    handle: async ({ api, body }) => ({ status: 201, json: await api.createRollout(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/rollouts',
    operationId: 'listRollouts',
    summary: 'List rollouts, oldest first.',
    tag: 'rollouts',
    auth: 'operator',
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The rollouts.', schema: z.array(RolloutViewSchema) },
      ...errorResponses(400, 401),
    },
    handle: async ({ api }) => ({ status: 200, json: await api.listRollouts() }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/rollouts/{id}',
    operationId: 'getRolloutStatus',
    summary:
      'A rollout: its waves with device counts by state, the shares they are judged on, soak time left and gate values against their limits.',
    tag: 'rollouts',
    auth: 'operator',
    params: { id: RolloutIdParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The rollout status.', schema: RolloutProgressViewSchema },
      ...errorResponses(400, 401, 404),
    },
    handle: async (ctx) => ({
      status: 200,
      json: await ctx.api.getRolloutStatus(param(ctx, 'id')),
    }),
  }),
  defineRoute<z.infer<typeof RolloutEventsQuerySchema>>({
    method: 'GET',
    path: '/v1/rollouts/{id}/events',
    operationId: 'listRolloutEvents',
    summary:
      'The rollout event log (state changes, device progress, gate results), oldest first, at most 1000; ?after=<id> continues from the last event seen.',
    tag: 'rollouts',
    auth: 'operator',
    params: { id: RolloutIdParamSchema },
    query: RolloutEventsQuerySchema,
    responses: {
      200: { description: 'The events.', schema: z.array(RolloutEventViewSchema) },
      ...errorResponses(400, 401, 404),
    },
    handle: async (ctx) => ({
      status: 200,
      json: await ctx.api.rolloutEvents(
        param(ctx, 'id'),
        ctx.query.after === undefined ? undefined : Number(ctx.query.after),
      ),
    }),
  }),
  ...ACTIONS.map(({ action, operationId, summary, call }) =>
    defineRoute({
      method: 'POST',
      path: `/v1/rollouts/{id}/${action}`,
      operationId,
      summary,
      tag: 'rollouts',
      auth: 'operator',
      params: { id: RolloutIdParamSchema },
      query: EmptyQuerySchema,
      responses: {
        200: { description: 'Done; the rollout status.', schema: RolloutProgressViewSchema },
        ...errorResponses(400, 401, 404, 409),
      },
      handle: async (ctx) => ({ status: 200, json: await call(ctx.api, param(ctx, 'id')) }),
    }),
  ),
];
