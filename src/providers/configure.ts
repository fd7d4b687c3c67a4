/**
 * The one way a scheme is configured: its options validated by its schema (or refused when it takes none), once
 * per source at startup; the verifier it returns reads them without parsing or building anything per request.
 */
import type { ZodType } from 'zod';
import type { ProviderSettings, SecretRef, SignedRequest, Verifier, VerifyResult } from './types.ts';

/** Options configure() refused, each problem with its path inside the options object (loadConfig prefixes it). */
export class ProviderOptionsError extends Error {
  constructor(readonly issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
    super(`invalid provider options: ${issues.map((i) => [...i.path.map(String), i.message].join(': ')).join('; ')}`);
  }
}

/** What a verifier reads: the settings, with the options in their validated form. */
export interface Configured<O> {
  secrets: readonly SecretRef[];
  toleranceSeconds: number;
  options: O;
}

export function readOptions<O>(scheme: string, schema: ZodType<O> | null, options: unknown): O {
  if (schema === null) {
    const given = options !== undefined && options !== null && (typeof options !== 'object' || Object.keys(options).length > 0);
    if (given) throw new ProviderOptionsError([{ path: [], message: `provider ${scheme} takes no options` }]);
    return {} as O;
  }
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) throw new ProviderOptionsError(parsed.error.issues);
  return parsed.data;
}

/**
 * configure() for a scheme whose verifier is one function of the request, the time and the configured source.
 * The settings are bound once; the returned verify makes no object per call.
 */
export function configureWith<O>(
  scheme: string,
  schema: ZodType<O> | null,
  verify: (req: SignedRequest, nowMs: number, source: Configured<O>) => VerifyResult,
): (settings: ProviderSettings) => Verifier {
  return (settings) => {
    const source: Configured<O> = {
      secrets: settings.secrets,
      toleranceSeconds: settings.toleranceSeconds,
      options: readOptions(scheme, schema, settings.options),
    };
    return { verify: (req, nowMs) => verify(req, nowMs, source) };
  };
}
