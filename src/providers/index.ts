/** The registry of provider schemes by name. Adding a scheme: one file in this folder, one line here. */
import { github } from './github.ts';
import { lemonsqueezy } from './lemonsqueezy.ts';
import { razorpay } from './razorpay.ts';
import { shopify } from './shopify.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { stripe } from './stripe.ts';
import type { Provider } from './types.ts';

export const providers: Readonly<Record<string, Provider>> = {
  stripe,
  'standard-webhooks': standardWebhooks,
  github,
  shopify,
  razorpay,
  lemonsqueezy,
};

export const providerNames = Object.keys(providers);

export function getProvider(name: string): Provider | undefined {
  return Object.prototype.hasOwnProperty.call(providers, name) ? providers[name] : undefined;
}
