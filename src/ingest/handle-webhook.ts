/**
 * One inbound webhook: verify, store (with its deliveries), answer. Thin on purpose; the provider does
 * the scheme, the commit queue does durability, the router picks destinations.
 */
import type { Log } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { SourceConfig } from '../config/types.ts';
import { ApiError, type ErrorCode } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Metrics } from '../metrics.ts';
import { sha256Hex } from '../providers/crypto.ts';
import type { SignedRequest } from '../providers/types.ts';
import type { NewEvent } from '../store/types.ts';
import type { CommitQueue } from './commit-queue.ts';
import type { DeliveryRouter } from './route-deliveries.ts';

export interface IngestDeps {
  clock: Clock;
  queue: CommitQueue;
  router: DeliveryRouter;
  metrics: Metrics;
  log: Log;
}

export interface IngestAnswer {
  status: number;
  contentType: string;
  body: string;
}

const RECEIVED = JSON.stringify({ status: 'received' });
const REPLAY = JSON.stringify({ status: 'received', idempotent_replay: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Headers never stored: credentials and hop-by-hop framing. */
const UNSTORED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/**
 * Answers the request, or throws: ApiError for bad input (4xx) or a full queue, StorageUnavailableError when
 * storage cannot commit (the front door answers 503). `log`: the request's own logger.
 */
export async function handleWebhook(deps: IngestDeps, source: SourceConfig, req: SignedRequest, log: Log = deps.log): Promise<IngestAnswer> {
  const now = deps.clock.now();
  if (source.secrets.length === 0) reject(log, source, 'secret_not_configured');
  const verdict = source.verifier.verify(req, now);
  if (!verdict.ok) reject(log, source, verdict.reason, verdict.detail);
  deps.metrics.secretMatches.inc({ source: source.name, secret: verdict.secretLabel });
  if (verdict.signedAt !== undefined) deps.metrics.timestampSkew.observe({ source: source.name }, now / 1000 - verdict.signedAt);

  // A lone surrogate cannot be stored as text (it would come back as U+FFFD, no longer what was signed).
  if (verdict.events.some((e) => LONE_SURROGATE.test(e.key) || LONE_SURROGATE.test(e.type))) {
    reject(log, source, 'invalid_payload', 'Event id or type is not well-formed Unicode (a lone surrogate)');
  }
  const headers = storedHeaders(req.headers);
  const events: NewEvent[] = verdict.events.map((e) => {
    const payload = e.payload ?? req.rawBody;
    const payloadSha256 = sha256Hex(payload);
    return {
      id: newId('msg', now),
      source: source.name,
      eventKey: e.key,
      eventType: e.type,
      providerCreatedAt: e.createdAt,
      receivedAt: now,
      payload,
      headers,
      payloadSha256,
      secretLabel: verdict.secretLabel,
      // None from a scheme whose key is signed (Stripe): it would add nothing to the key (docs/providers.md).
      contentDigest: e.contentDigest ?? null,
      deliveries: deps.router.route(source.name, e.type, payload, now),
    };
  });
  const outcomes = await deps.queue.submit(events);

  const accepted = outcomes.some((o) => o.inserted);
  outcomes.forEach((o, i) => {
    if (!o.inserted && o.conflict) {
      deps.metrics.ingestConflicts.inc({ source: source.name });
      log.warn({ source: source.name, eventKey: events[i]!.eventKey, eventId: o.id }, 'replay with a different payload than the stored event');
    }
  });
  const outcome = events.length === 0 ? 'handshake' : accepted ? 'accepted' : 'replay';
  deps.metrics.ingestRequests.inc({ source: source.name, outcome });
  log.info({ source: source.name, eventKeys: events.map((e) => e.eventKey), outcome, secret: verdict.secretLabel }, 'ingest');
  if (verdict.reply) return verdict.reply;
  return { status: 200, contentType: 'application/json', body: accepted || events.length === 0 ? RECEIVED : REPLAY };
}

/** Counted by the front door (exchange.ts), with every other refusal (429, 413, 503, ...). */
function reject(log: Log, source: SourceConfig, code: ErrorCode, detail?: string): never {
  log.info({ source: source.name, outcome: code }, 'ingest rejected');
  // The seed's source keeps the seed's exact texts; others may say more.
  throw new ApiError(code, source.fromEnvironment ? undefined : detail);
}

function storedHeaders(headers: SignedRequest['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  // for-in rather than Object.entries: no array of pairs per request (the headers object has no inherited keys).
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !UNSTORED_HEADERS.has(name)) kept[name] = value;
  }
  return kept;
}
