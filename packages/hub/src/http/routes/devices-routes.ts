/** `/v1/devices`: enrol, list (by selector), show, tag and revoke devices. */
import { z } from 'zod';
import {
  DeviceIdParamSchema,
  DeviceViewSchema,
  EmptyQuerySchema,
  EnrollDeviceBodySchema,
  EnrollResultSchema,
  ListDevicesQuerySchema,
  parseSelector,
  TagDeviceBodySchema,
} from '../api-schemas.js';
import { HttpApiError } from '../http-errors.js';
import { defineRoute, param } from '../route-spec.js';
import type { RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

type Empty = z.infer<typeof EmptyQuerySchema>;

export const deviceRoutes: readonly RouteSpec[] = [
  defineRoute<Empty, z.infer<typeof EnrollDeviceBodySchema>>({
    method: 'POST',
    path: '/v1/devices',
    operationId: 'enrollDevice',
    summary:
      'Enrol a device with fresh broker credentials. The answer holds its device.json (provisioning), the only copy of its secret.',
    tag: 'devices',
    auth: 'operator',
    query: EmptyQuerySchema,
    body: { kind: 'json', schema: EnrollDeviceBodySchema },
    responses: {
      201: { description: 'Enrolled.', schema: EnrollResultSchema },
      ...errorResponses(400, 401, 409, 413, 415),
    },
    handle: async ({ api, body }) => ({
      status: 201,
      json: await api.enrollDevice(body.id, body.tags),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/devices',
    operationId: 'listDevices',
    summary: 'List devices by id; ?selector=site=plant-a,hw=rpi5 keeps those with every tag.',
    tag: 'devices',
    auth: 'operator',
    query: ListDevicesQuerySchema,
    responses: {
      200: { description: 'The devices.', schema: z.array(DeviceViewSchema) },
      ...errorResponses(400, 401),
    },
    handle: async ({ api, query }) => ({
      status: 200,
      json: await api.listDevices(
        query.selector === undefined ? undefined : parseSelector(query.selector),
      ),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/devices/{id}',
    operationId: 'getDevice',
    summary:
      'One device: tags, online and last seen, reported and desired models, deployments, latest health and drift.',
    tag: 'devices',
    auth: 'operator',
    params: { id: DeviceIdParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The device.', schema: DeviceViewSchema },
      ...errorResponses(400, 401, 404),
    },
    handle: async (ctx) => {
      const id = param(ctx, 'id');
      const device = await ctx.api.getDevice(id);
      if (device === undefined) {
        throw new HttpApiError('EF_HUB_HTTP_UNKNOWN_DEVICE', `no device '${id}' is enrolled`, {
          id,
        });
      }
      return { status: 200, json: device };
    },
  }),
  defineRoute<Empty, z.infer<typeof TagDeviceBodySchema>>({
    method: 'PATCH',
    path: '/v1/devices/{id}/tags',
    operationId: 'tagDevice',
    summary: 'Merge tags into a device; an empty value removes the key.',
    tag: 'devices',
    auth: 'operator',
    params: { id: DeviceIdParamSchema },
    query: EmptyQuerySchema,
    body: { kind: 'json', schema: TagDeviceBodySchema },
    responses: {
      200: { description: 'The device with its new tags.', schema: DeviceViewSchema },
      ...errorResponses(400, 401, 404, 413, 415),
    },
    handle: async (ctx) => ({
      status: 200,
      json: await ctx.api.tagDevice(param(ctx, 'id'), ctx.body.tags),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/devices/{id}/revoke',
    operationId: 'revokeDevice',
    summary: 'Revoke a device: the broker disconnects it and refuses its credentials from now on.',
    tag: 'devices',
    auth: 'operator',
    params: { id: DeviceIdParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The revoked device.', schema: DeviceViewSchema },
      ...errorResponses(400, 401, 404),
    },
    handle: async (ctx) => ({ status: 200, json: await ctx.api.revokeDevice(param(ctx, 'id')) }),
  }),
];
