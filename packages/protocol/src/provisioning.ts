/**
 * The device provisioning file (`device.json`): what `edgefleet device enroll` writes on the hub
 * side and `edgefleet agent start --config` reads on the device. It crosses a process (and
 * machine) boundary, so its schema lives here, once.
 */
import { z } from 'zod';
import { SignedKeyringSchema } from './keyring-schema.js';
import { parseJson } from './parse-json.js';
import { DeviceIdSchema, PublicKeyBase64Schema } from './schema-primitives.js';

const BrokerUrlSchema = z
  .string()
  .max(2048)
  .regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'expected mqtt://host:port or mqtts://host:port');

/**
 * [P-PV-1] The provisioning document. Loose: a newer hub may add fields an older agent ignores.
 * The trust anchor is the root public key(s) (base64 raw Ed25519, [P-SG-1]); the keyring is
 * optional (the first desired state carries one) but lets the agent verify bundles offline.
 */
export const DeviceProvisioningSchema = z.looseObject({
  deviceId: DeviceIdSchema,
  brokerUrl: BrokerUrlSchema,
  username: z.string().min(1).max(128),
  password: z.string().min(16).max(512),
  rootPublicKeys: z.array(PublicKeyBase64Schema).min(1).max(8),
  keyring: SignedKeyringSchema.optional(),
  hubUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
});
export type DeviceProvisioning = z.output<typeof DeviceProvisioningSchema>;

/**
 * Parses `device.json`. Throws `EF_PROTO_TOO_LARGE`, `EF_PROTO_JSON` or `EF_PROTO_SCHEMA`.
 *
 * @example
 * const config = parseDeviceProvisioning(readFileSync('device.json'));
 */
export function parseDeviceProvisioning(input: unknown): DeviceProvisioning {
  return parseJson(input, DeviceProvisioningSchema, 'device provisioning');
}
