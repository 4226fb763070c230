/**
 * Is a device allowed to report? Enrolled and not revoked. Answers are cached briefly so the
 * ingest path does not read the devices table for every message; revocation and enrolment
 * invalidate the cache at once.
 */
import type { HubStore } from '../storage/hub-store.js';

/** The gate's verdict for one device. */
export type DeviceAdmission = 'ok' | 'unknown-device' | 'revoked';

const CACHE_MS = 5_000;
const MAX_CACHED = 100_000;

/** A cached view of who may report. */
export class DeviceGate {
  readonly #cache = new Map<string, { verdict: DeviceAdmission; at: number }>();

  constructor(
    private readonly store: HubStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The admission of `deviceId`. */
  async check(deviceId: string): Promise<DeviceAdmission> {
    const now = this.now();
    const cached = this.#cache.get(deviceId);
    if (cached !== undefined && now - cached.at < CACHE_MS) return cached.verdict;
    const device = await this.store.getDevice(deviceId);
    const verdict: DeviceAdmission =
      device === undefined ? 'unknown-device' : device.revokedAt !== null ? 'revoked' : 'ok';
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(deviceId, { verdict, at: now });
    return verdict;
  }

  /** Drops the cached verdict (after enrolment or revocation). */
  invalidate(deviceId: string): void {
    this.#cache.delete(deviceId);
  }
}
