/** The registry of provider schemes by name. Adding a scheme: one file in this folder, one line here. */
import { adyen } from './adyen.ts';
import { genericHmac } from './generic-hmac.ts';
import { github } from './github.ts';
import { gocardless } from './gocardless.ts';
import { lemonsqueezy } from './lemonsqueezy.ts';
import { paddle } from './paddle.ts';
import { razorpay } from './razorpay.ts';
import { shopify } from './shopify.ts';
import { slack } from './slack.ts';
import { square } from './square.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { twilio } from './twilio.ts';
import { stripe } from './stripe.ts';
import type { Provider } from './types.ts';

export const providers: Readonly<Record<string, Provider>> = {
  stripe,
  'standard-webhooks': standardWebhooks,
  github,
  shopify,
  razorpay,
  lemonsqueezy,
  slack,
  square,
  paddle,
  gocardless,
  adyen,
  twilio,
  'generic-hmac': genericHmac,
};

export const providerNames = Object.keys(providers);

export function getProvider(name: string): Provider | undefined {
  return Object.hasOwn(providers, name) ? providers[name] : undefined;
}
