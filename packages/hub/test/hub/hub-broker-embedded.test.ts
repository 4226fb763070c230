import { describeHubOnBroker } from './hub-broker-contract.js';

// The embedded broker applies the hub's ACL per PUBLISH and its payload cap: a device breaking
// either is disconnected before the hub sees the message.
describeHubOnBroker('the embedded broker (aedes)', async (kit, options) => ({
  hub: await kit.start(options),
  admitEnrolled: async () => {},
  unknownTopic: 'disconnect',
  overCap: 'disconnect',
}));
