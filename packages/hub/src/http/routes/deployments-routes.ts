/** `/v1/deployments`: assign a release to one device (rollouts to many come later). */
import type { z } from 'zod';
import { DeployBodySchema, DeploymentViewSchema, EmptyQuerySchema } from '../api-schemas.js';
import { defineRoute } from '../route-spec.js';
import type { RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

export const deploymentRoutes: readonly RouteSpec[] = [
  defineRoute<z.infer<typeof EmptyQuerySchema>, z.infer<typeof DeployBodySchema>>({
    method: 'POST',
    path: '/v1/deployments',
    operationId: 'deploy',
    summary:
      "Assign name@version to one device: the hub publishes a new signed, retained desired state on the device's topic.",
    tag: 'deployments',
    auth: 'operator',
    query: EmptyQuerySchema,
    body: { kind: 'json', schema: DeployBodySchema },
    responses: {
      201: { description: 'The desired state was published.', schema: DeploymentViewSchema },
      ...errorResponses(400, 401, 404, 409, 413, 415),
    },
    handle: async ({ api, body }) => ({
      status: 201,
      json:
        body.allowDowngrade === undefined
          ? await api.deploy(body.name, body.version, body.deviceId)
          : await api.deploy(body.name, body.version, body.deviceId, {
              allowDowngrade: body.allowDowngrade,
            }),
    }),
  }),
];
