/**
 * The hub API's rollout views as the CLI receives them over HTTP, read off the `HubApi`
 * interface so there is one definition: the hub's.
 */
import type { HubApi } from '@edgefleet/hub';

/** `GET /v1/rollouts/{id}` and the answer of every rollout action. */
export type RolloutProgressView = Awaited<ReturnType<HubApi['getRolloutStatus']>>;
/** One item of `GET /v1/rollouts`. */
export type RolloutView = Awaited<ReturnType<HubApi['listRollouts']>>[number];
/** One item of `GET /v1/rollouts/{id}/events`. */
export type RolloutEventView = Awaited<ReturnType<HubApi['rolloutEvents']>>[number];
/** One wave of a {@link RolloutProgressView}. */
export type RolloutWaveView = RolloutProgressView['waves'][number];
/** One gate of a {@link RolloutWaveView}. */
export type RolloutGateView = RolloutWaveView['gates'][number];
/** The body of `POST /v1/rollouts`. */
export type CreateRolloutRequest = Parameters<HubApi['createRollout']>[0];

/** Rollout states after which nothing changes any more (but a rollback of a finished one). */
export const FINAL_ROLLOUT_STATES: readonly string[] = ['completed', 'aborted', 'rolled-back'];
