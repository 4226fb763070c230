/** Short human lines and tables for the hub's releases and devices. */
import { ManifestSchema } from '@edgefleet/protocol';
import { describeBundle } from './bundle-summary.js';
import type { DeviceView, ReleaseView } from './hub-views.js';
import { formatTags } from './tag-arguments.js';
import { formatTable } from './text-table.js';

/** `pm@1.0.0` */
export function releaseLabel(r: { name: string; version: string }): string {
  return `${r.name}@${r.version}`;
}

function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

/** One row per release. */
export function releaseTable(releases: readonly ReleaseView[]): string[] {
  if (releases.length === 0) return ['no releases'];
  return formatTable(
    ['NAME', 'VERSION', 'SHA256', 'BYTES', 'PUBLISHED'],
    releases.map((r) => [r.name, r.version, shortSha(r.sha256), String(r.bytes), r.publishedAt]),
  );
}

/** A release with its manifest summary (model, preprocessing, validation...). */
export function releaseLines(r: ReleaseView): string[] {
  const lines = [
    `release ${releaseLabel(r)}`,
    `  sha256      ${r.sha256}`,
    `  bytes       ${r.bytes}`,
    `  published   ${r.publishedAt} (signature and digests verified by the hub)`,
  ];
  const manifest = ManifestSchema.safeParse(r.manifest);
  if (manifest.success) {
    const summary = describeBundle(manifest.data, {
      signerKeyId: undefined,
      signerVerified: true,
      archiveSha256: r.sha256,
    });
    // The first line repeats the name; signer and archive lines repeat what the hub checked.
    lines.push(
      ...summary.lines
        .slice(1)
        .filter((l) => !l.startsWith('  signer') && !l.startsWith('  archive')),
    );
  }
  return lines;
}

/** Long JSON on one line is cut; --json has it whole. */
function clip(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function modelsText(models: readonly { name: string; version: string }[]): string {
  return models.length === 0 ? '-' : models.map(releaseLabel).join(',');
}

function deviceState(d: DeviceView): string {
  if (d.revokedAt !== null) return 'revoked';
  return d.online ? 'online' : 'offline';
}

/** One row per device. */
export function deviceTable(devices: readonly DeviceView[]): string[] {
  if (devices.length === 0) return ['no devices'];
  return formatTable(
    ['ID', 'STATE', 'LAST SEEN', 'MODELS', 'TAGS'],
    devices.map((d) => [
      d.id,
      deviceState(d),
      d.lastSeenAt ?? 'never',
      modelsText(d.models),
      formatTags(d.tags),
    ]),
  );
}

/** Everything the hub knows about a device, a line per fact. */
export function deviceLines(d: DeviceView): string[] {
  const lines = [
    `device ${d.id} (${deviceState(d)})`,
    `  tags        ${formatTags(d.tags)}`,
    `  enrolled    ${d.createdAt}${d.revokedAt === null ? '' : `, revoked ${d.revokedAt}`}`,
    `  last seen   ${d.lastSeenAt ?? 'never'}`,
    `  running     ${modelsText(d.models)}`,
    d.desired === null
      ? '  desired     none'
      : `  desired     ${modelsText(d.desired.models)} (desired state v${d.desired.version}, expires ${d.desired.expires})`,
  ];
  for (const dep of d.deployments) {
    lines.push(
      `  deployment  ${dep.model}@${dep.version} ${dep.state}${dep.errorCode === undefined ? '' : ` (${dep.errorCode})`} at ${dep.ts}`,
    );
  }
  lines.push(
    `  health      ${d.health === null || d.health === undefined ? 'none reported' : clip(JSON.stringify(d.health))}`,
  );
  lines.push(
    `  drift       ${d.drift.length === 0 ? 'none reported' : `${d.drift.length} model(s) reported; --json shows them`}`,
  );
  return lines;
}
