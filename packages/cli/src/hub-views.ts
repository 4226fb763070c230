/** The hub API's view types, as the CLI receives them over HTTP (one definition: the hub's). */
export type { DeploymentView, DeviceProvisioning, DeviceView, ReleaseView } from '@edgefleet/hub';
