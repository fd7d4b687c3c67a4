/**
 * Options of the generic-hmac scheme, validated once at startup. Header names are lower-cased here because
 * request headers arrive lower-cased.
 */
import { z } from 'zod';

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name')
  .transform((name) => name.toLowerCase());

const source = z.union([
  z.strictObject({ header: headerName }),
  z.strictObject({ json_pointer: z.string().regex(/^(\/.*)?$/, 'must be an RFC 6901 pointer') }),
]);

export const genericHmacOptions = z
  .object({
    /** Header carrying the signature. */
    header: headerName,
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** Text before the digest in the header, e.g. 'sha256='. */
    prefix: z.string().default(''),
    /** 'body', or a template with `{body}` once and optionally `{timestamp}`, e.g. '{timestamp}.{body}'. */
    signed_content: z.string().default('body'),
    /** Header carrying the unix-seconds timestamp; required when the template uses `{timestamp}`. */
    timestamp_header: headerName.optional(),
    /** Where the event key comes from; absent: SHA-256 of the body. */
    event_key: source.optional(),
    /** Where the event type comes from; absent: 'unknown'. */
    event_type: source.optional(),
  })
  .superRefine((o, ctx) => {
    const template = o.signed_content === 'body' ? '{body}' : o.signed_content;
    if (template.split('{body}').length !== 2) ctx.addIssue({ code: 'custom', path: ['signed_content'], message: 'must contain {body} exactly once' });
    const unknown = template.replace(/\{body\}|\{timestamp\}/g, '').match(/\{[A-Za-z_]+\}/);
    if (unknown) ctx.addIssue({ code: 'custom', path: ['signed_content'], message: `unknown placeholder ${unknown[0]}` });
    if (template.includes('{timestamp}') && !o.timestamp_header) {
      ctx.addIssue({ code: 'custom', path: ['timestamp_header'], message: 'required when signed_content uses {timestamp}' });
    }
  });

export type GenericHmacOptions = z.output<typeof genericHmacOptions>;
export type ValueSource = NonNullable<GenericHmacOptions['event_key']>;
