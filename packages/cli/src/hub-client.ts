/**
 * Talks to the hub's HTTP API (node:http, so uploads stream from disk with progress and an early
 * refusal, e.g. 413, is read while the upload is still going). Turns every failure into a coded
 * error: unreachable hub, refused token, the hub's own refusal (its code kept), or an answer
 * that is not from an edgefleet hub.
 */
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from './errors.js';
import { HubClientError, HubRefusedError } from './hub-client-errors.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** The API's answers are small JSON documents; anything bigger is not one of them. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Errors that mean nothing answered at that address. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

interface Exchange {
  readonly status: number;
  readonly body: Buffer;
  /** The connection was cut before the whole answer arrived. */
  readonly truncated: boolean;
}

/** Writes a request body; returns what to do when the answer starts before the body is done. */
type BodyWriter = (req: ClientRequest) => () => void;

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** A hub API client with an operator token; see `connectHub` for how one is made. */
export class HubClient {
  constructor(
    readonly url: URL,
    private readonly token: string,
    /** Where the token came from (`--token`, a file path, `EDGEFLEET_TOKEN`), for messages. */
    readonly tokenSource: string,
  ) {}

  /** The full URL of an API path, keeping a base path such as `https://x/edgefleet/`. */
  target(path: string, query: Record<string, string | undefined> = {}): URL {
    const base = this.url.pathname.replace(/\/+$/, '');
    const url = new URL(`${base}${path}`, this.url);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  /** `GET path` and the parsed JSON answer. */
  getJson<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    return this.call<T>('GET', this.target(path, query), {}, undefined);
  }

  /** `POST`/`PATCH` with a JSON body (or none) and the parsed JSON answer. */
  sendJson<T>(method: 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    if (body === undefined) return this.call<T>(method, this.target(path), {}, undefined);
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    return this.call<T>(
      method,
      this.target(path),
      { 'content-type': 'application/json', 'content-length': bytes.length },
      (req) => {
        req.end(bytes);
        return () => undefined;
      },
    );
  }

  /**
   * Streams a file as the body of `POST path`, reporting bytes sent; stops sending as soon as the
   * hub answers (a refusal arrives before the upload ends).
   *
   * @example
   * const release = await hub.upload<ReleaseView>('/v1/releases', 'pm.efb', size, (n) => bar(n));
   */
  async upload<T>(
    path: string,
    file: string,
    size: number,
    onProgress: (sent: number) => void,
  ): Promise<T> {
    let fileError: unknown;
    try {
      return await this.call<T>(
        'POST',
        this.target(path),
        { 'content-type': 'application/octet-stream', 'content-length': size },
        (req) => {
          const stream = createReadStream(file);
          let sent = 0;
          stream.on('data', (chunk) => {
            sent += chunk.length;
            onProgress(sent);
          });
          stream.on('error', (err) => {
            fileError = err;
            req.destroy(err);
          });
          stream.pipe(req);
          return () => {
            stream.unpipe(req);
            stream.destroy();
          };
        },
      );
    } catch (err) {
      if (fileError !== undefined) {
        throw new CliError(
          'EF_CLI_FILE_READ',
          `cannot read '${file}' while uploading it: ${errnoOf(fileError)}`,
          { path: file },
          { cause: fileError },
        );
      }
      throw err;
    }
  }

  private async call<T>(
    method: string,
    url: URL,
    headers: OutgoingHttpHeaders,
    body: BodyWriter | undefined,
  ): Promise<T> {
    const answer = await this.exchange(method, url, headers, body);
    return this.interpret<T>(answer, method, url);
  }

  private exchange(
    method: string,
    url: URL,
    headers: OutgoingHttpHeaders,
    writeBody: BodyWriter | undefined,
  ): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method,
        agent: false,
        headers: { ...headers, authorization: `Bearer ${this.token}`, accept: 'application/json' },
      });
      let connected = false;
      let answered = false;
      let connectTimer: NodeJS.Timeout | undefined;
      let stopBody: () => void = () => undefined;
      req.on('socket', (socket) => {
        connectTimer = setTimeout(() => {
          const err = Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' });
          req.destroy(err);
        }, CONNECT_TIMEOUT_MS);
        socket.once('connect', () => {
          connected = true;
          clearTimeout(connectTimer);
        });
      });
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        clearTimeout(connectTimer);
        stopBody();
        const chunks: Buffer[] = [];
        let size = 0;
        let ended = false;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          ended = true;
        });
        res.on('error', () => undefined);
        res.on('close', () => {
          req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            truncated: !ended || size > MAX_RESPONSE_BYTES,
          });
        });
      });
      req.on('error', (err) => {
        clearTimeout(connectTimer);
        if (answered) return;
        const errno = errnoOf(err);
        if (!connected || UNREACHABLE.has(errno)) {
          reject(
            new HubClientError(
              'EF_CLI_HUB_UNREACHABLE',
              `cannot reach the hub at ${this.url.href} (${errno}); is it running? Start one with 'edgefleet hub start', or point --hub / EDGEFLEET_HUB at it`,
              { url: this.url.href, errno },
              { cause: err },
            ),
          );
        } else {
          reject(
            new HubClientError(
              'EF_CLI_HUB_RESPONSE',
              `the connection to the hub at ${this.url.href} was cut before it answered ${method} ${url.pathname} (${errno})`,
              { url: this.url.href, errno },
              { cause: err },
            ),
          );
        }
      });
      if (writeBody === undefined) req.end();
      else stopBody = writeBody(req);
    });
  }

  private interpret<T>(answer: Exchange, method: string, url: URL): T {
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (answer.status >= 200 && answer.status < 300 && !answer.truncated && json !== undefined) {
      return json as T;
    }
    const error = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } })
      ?.error;
    const coded =
      typeof error?.code === 'string' && /^EF_[A-Z0-9_]+$/.test(error.code)
        ? {
            code: error.code,
            message: typeof error.message === 'string' ? error.message : '',
            details:
              typeof error.details === 'object' && error.details !== null
                ? (error.details as Record<string, unknown>)
                : undefined,
          }
        : undefined;
    if (answer.status === 401) {
      throw new HubClientError(
        'EF_CLI_HUB_TOKEN_REFUSED',
        `the hub at ${this.url.href} refused the operator token from ${this.tokenSource}${coded ? ` (${coded.code}: ${coded.message})` : ''}; use the token that hub wrote to <data>/operator.token`,
        { url: this.url.href, tokenSource: this.tokenSource },
      );
    }
    if (coded !== undefined && answer.status >= 400) {
      throw new HubRefusedError(answer.status, coded.code, coded.message, coded.details);
    }
    throw new HubClientError(
      'EF_CLI_HUB_RESPONSE',
      `${method} ${url.pathname}: the hub at ${this.url.href} answered HTTP ${answer.status}${answer.truncated ? ' (cut short)' : ''} without an edgefleet answer; is something else listening there?`,
      { url: this.url.href, status: answer.status },
    );
  }
}
