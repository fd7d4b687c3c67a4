/**
 * Standard Webhooks signing for outbound deliveries: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
 * the key being the base64 after `whsec_`. Receivers verify it with any Standard Webhooks library.
 */
import { hmac } from '../digest.ts';

export function standardWebhooksSignature(secret: string, msgId: string, timestampSeconds: number, body: Buffer): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const mac = hmac('sha256', key, `${msgId}.${timestampSeconds}.`, body).toString('base64');
  return `v1,${mac}`;
}
