/**
 * The one table of stable error codes. Every error body is `{"detail": "...", "code": "..."}`.
 * `docs/errors.md` lists the same codes; test/errors-doc.test.ts keeps the two in sync.
 * Details of the seed's route (/webhooks/provider) are the seed's exact texts.
 */
export const ERRORS = {
  // ingest: configuration
  secret_not_configured: { status: 400, detail: 'Server misconfigured: Missing STRIPE_WEBHOOK_SECRET' },
  // ingest: signature. These defaults are the seed's texts, for the seed's route; every provider returns its own
  // detail naming its header (src/providers/rejections.ts), which every other source answers with.
  missing_signature: { status: 400, detail: 'Missing encoded Stripe-Signature header' },
  malformed_signature: { status: 400, detail: 'Invalid signature' },
  invalid_signature: { status: 400, detail: 'Invalid signature' },
  timestamp_out_of_tolerance: { status: 400, detail: 'Invalid signature' },
  // ingest: payload
  invalid_payload: { status: 400, detail: 'Invalid JSON or schema' },
  payload_too_large: { status: 413, detail: 'Request body too large' },
  unsupported_media_type: { status: 415, detail: 'Unsupported media type' },
  // generic request errors
  bad_request: { status: 400, detail: 'Bad request' },
  invalid_query: { status: 400, detail: 'Invalid query parameters' },
  not_found: { status: 404, detail: 'Not Found' },
  method_not_allowed: { status: 405, detail: 'Method Not Allowed' },
  unauthorized: { status: 401, detail: 'Missing or invalid admin token' },
  forbidden: { status: 403, detail: 'Admin API is only reachable from loopback when ADMIN_TOKEN is unset' },
  rate_limited: { status: 429, detail: 'Too many requests' },
  headers_too_large: { status: 431, detail: 'Request header fields too large or too many' },
  request_timeout: { status: 408, detail: 'Request timeout' },
  // server side: the provider should retry
  storage_unavailable: { status: 503, detail: 'Storage unavailable, retry later' },
  overloaded: { status: 503, detail: 'Too many requests waiting to be stored, retry later' },
  not_ready: { status: 503, detail: 'Not ready' },
  shutting_down: { status: 503, detail: 'Server is shutting down, retry later' },
  internal_error: { status: 500, detail: 'Internal error' },
} as const satisfies Record<string, { status: number; detail: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that becomes a `{"detail","code"}` response; `detail` may be more specific than the table's. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail?: string, retryAfterSeconds?: number) {
    const entry = ERRORS[code];
    super(detail ?? entry.detail);
    this.code = code;
    this.status = entry.status;
    this.detail = detail ?? entry.detail;
    this.retryAfterSeconds = retryAfterSeconds ?? (entry.status === 503 ? 1 : undefined);
  }

  body(): { detail: string; code: ErrorCode } {
    return { detail: this.detail, code: this.code };
  }
}
