/**
 * Terminology
 * - provider: a signature scheme (stripe, standard-webhooks, github, ...). Pure code: no I/O, no Date.now().
 * - secret: one configured key of a source; several may be live at once so a key can be rolled.
 * - event key: what dedupes an event within its source (Stripe body `id`, `webhook-id`, a body hash, ...).
 *
 * A provider is configured once per source (configure: options validated, secrets bound) and its verifier then
 * checks the raw bytes of one HTTP request and returns either the events it carries
 * (usually one; batch providers such as GoCardless and Adyen return one per item) or a rejection
 * with a stable reason code from src/errors.ts.
 */
import type { ZodType } from 'zod';
import type { ErrorCode } from '../errors.ts';

export interface SignedRequest {
  /** Header names lower-cased; repeated headers joined with ", " as Node does. */
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
  /** The full URL the provider signed (scheme://host/path?query), for schemes that sign it (Square, Twilio). */
  url: string;
}

export interface SecretRef {
  /** The secret exactly as configured (e.g. `whsec_...`); never logged. */
  value: string;
  /** What is recorded and shown instead of the value: the configured label, or `#<index>`. */
  label: string;
  /** Milliseconds since the epoch after which this secret no longer verifies. */
  expiresAt?: number;
}

export interface VerifiedEvent {
  key: string;
  type: string;
  /** Provider's own creation time, seconds since the epoch, when it sends one. */
  createdAt: number | null;
  /** Bytes to store and deliver for this event; defaults to the request's raw body (batch items set their own). */
  payload?: Buffer;
  /**
   * SHA-256 hex over what the signature covers and the event type (and, for batch items, the signed item key):
   * a second request with the same digest is a replay of this event, whatever its unsigned headers say. Schemes
   * whose event key comes from an unsigned header must set it; absent, ingest uses a digest of (key, type, payload),
   * which never merges two events.
   */
  contentDigest?: string;
}

/** A fixed answer a provider requires (Slack's url_verification challenge, Adyen's "[accepted]"). */
export interface ProviderReply {
  status: number;
  contentType: string;
  body: string;
}

export type VerifyResult =
  | {
      ok: true;
      /** Empty for handshake requests (Slack challenge) that store nothing. */
      events: VerifiedEvent[];
      secretLabel: string;
      /** Provider-specific success answer; absent means the common `{"status":"received"}` shape. */
      reply?: ProviderReply;
      /** Provider-signed timestamp (seconds), for the clock-skew metric. */
      signedAt?: number;
    }
  | Rejection;

/**
 * Why a request was refused. `header`: the request header the rejection concerns (the scheme's own signature
 * header), for the error text. A missing or malformed signature always carries its own `detail` naming that
 * header (src/providers/rejections.ts), so no scheme falls back to the table's default text, which is the seed's
 * Stripe wording.
 */
export type Rejection =
  | { ok: false; reason: SignatureFormatCode; detail: string; header?: string }
  | { ok: false; reason: Exclude<ErrorCode, SignatureFormatCode>; detail?: string; header?: string };

type SignatureFormatCode = 'missing_signature' | 'malformed_signature';

/** What configure() takes, once per source at startup. */
export interface ProviderSettings {
  /** The source's secrets, tried in order; never logged. */
  secrets: readonly SecretRef[];
  /** How far a signed timestamp may be from our clock, in seconds, either way. */
  toleranceSeconds: number;
  /** The source's `options` as written in the config file; validated by the scheme's schema in configure(). */
  options?: unknown;
}

/** A source's configured verifier: pure, no I/O, nothing parsed or built per request but what the request brings. */
export interface Verifier {
  verify(req: SignedRequest, nowMs: number): VerifyResult;
}

export interface SignInput {
  body: Buffer | string;
  secret: string;
  /** Seconds since the epoch to put in the signature where the scheme signs a timestamp. */
  timestamp: number;
  url?: string;
  /** Provider-specific extras, e.g. the message id for Standard Webhooks. */
  [option: string]: unknown;
}

export interface SignedOutput {
  headers: Record<string, string>;
  body: Buffer;
  /** The URL to send to, when the scheme puts signature data in it (Twilio's `bodySHA256` for JSON bodies). */
  url?: string;
}

export interface Provider {
  name: string;
  /** The schema configure() validates the source's options with (zod). Absent: the scheme takes no options. */
  optionsSchema?: ZodType<Record<string, unknown>>;
  /**
   * Why a configured secret can never verify anything with this scheme (it is not in the form the scheme decodes,
   * e.g. not hex where the key is hex-decoded), or null. Checked once at startup, where a problem stops the
   * process naming the source and the secret's index; the answer must never repeat the secret. Absent: any
   * non-empty text is a usable key (it is used as the HMAC key bytes as they are).
   */
  checkSecret?(value: string): string | null;
  /**
   * Once per source, at startup: validates the options (throws ProviderOptionsError naming each problem, so a bad
   * option stops startup instead of failing at the first request) and returns the source's verifier.
   */
  configure(settings: ProviderSettings): Verifier;
  sign(input: SignInput): SignedOutput;
}
