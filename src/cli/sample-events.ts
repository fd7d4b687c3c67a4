/**
 * A realistic demo event per provider for `filab send`, with the id it carries, so the seed's
 * "[*] Generated Event ID" line means the same thing for every scheme.
 */
import { randomUUID } from 'node:crypto';

export interface SampleEvent {
  id: string;
  body: string;
  /** Extra sign() input for schemes that take one (Standard Webhooks message id, GitHub delivery, ...). */
  signInput: Record<string, unknown>;
}

const hex = (n: number) => randomUUID().replace(/-/g, '').slice(0, n);

export function sampleEvent(provider: string, nowSeconds: number): SampleEvent {
  const iso = new Date(nowSeconds * 1000).toISOString();
  switch (provider) {
    case 'stripe': {
      const id = `evt_${hex(32)}`;
      const body = {
        id,
        object: 'event',
        type: 'payment_intent.succeeded',
        created: nowSeconds,
        data: { object: { id: `pi_${hex(24)}`, object: 'payment_intent', amount: 2000, currency: 'usd', status: 'succeeded' } },
      };
      return { id, body: JSON.stringify(body), signInput: {} };
    }
    case 'standard-webhooks': {
      const id = `msg_${hex(24)}`;
      return {
        id,
        body: JSON.stringify({ type: 'invoice.paid', timestamp: iso, data: { invoice_id: `inv_${hex(12)}`, amount: 4200, currency: 'eur' } }),
        signInput: { msgId: id },
      };
    }
    case 'github': {
      const id = randomUUID();
      return {
        id,
        body: JSON.stringify({ ref: 'refs/heads/main', after: hex(32), repository: { full_name: 'acme/payments' } }),
        signInput: { event: 'push', delivery: id },
      };
    }
    case 'shopify': {
      const id = randomUUID();
      return {
        id,
        body: JSON.stringify({ id: Number.parseInt(hex(10), 16), email: 'buyer@example.com', total_price: '42.00', currency: 'USD' }),
        signInput: { topic: 'orders/create', webhookId: id },
      };
    }
    case 'slack': {
      const id = `Ev${hex(10).toUpperCase()}`;
      return {
        id,
        body: JSON.stringify({ type: 'event_callback', event_id: id, event_time: nowSeconds, event: { type: 'message', text: 'payment received' } }),
        signInput: {},
      };
    }
    case 'square': {
      const id = randomUUID();
      return {
        id,
        body: JSON.stringify({ merchant_id: 'MLDEMO', type: 'payment.updated', event_id: id, created_at: iso, data: { type: 'payment', id: hex(16) } }),
        signInput: {},
      };
    }
    case 'paddle': {
      const id = `evt_${hex(26)}`;
      return {
        id,
        body: JSON.stringify({ event_id: id, event_type: 'transaction.completed', occurred_at: iso, data: { id: `txn_${hex(26)}` } }),
        signInput: {},
      };
    }
    case 'razorpay': {
      const id = `evt_${hex(14)}`;
      return {
        id,
        body: JSON.stringify({
          entity: 'event',
          event: 'payment.captured',
          created_at: nowSeconds,
          payload: { payment: { entity: { id: `pay_${hex(14)}`, amount: 50000, currency: 'INR' } } },
        }),
        signInput: { eventId: id },
      };
    }
    case 'gocardless': {
      const id = `EV${hex(12).toUpperCase()}`;
      return {
        id,
        body: JSON.stringify({
          events: [{ id, created_at: iso, resource_type: 'payments', action: 'confirmed', links: { payment: `PM${hex(12).toUpperCase()}` } }],
        }),
        signInput: {},
      };
    }
    case 'adyen': {
      const id = `${Date.now()}${hex(4)}`.slice(0, 16).toUpperCase();
      const item = {
        pspReference: id,
        originalReference: '',
        merchantAccountCode: 'DemoMerchant',
        merchantReference: `order-${hex(6)}`,
        amount: { value: 1000, currency: 'EUR' },
        eventCode: 'AUTHORISATION',
        success: 'true',
        eventDate: iso,
        additionalData: {},
      };
      return { id, body: JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: item }] }), signInput: {} };
    }
    case 'twilio': {
      const id = `SM${hex(32)}`;
      return {
        id,
        body: new URLSearchParams({
          MessageSid: id,
          AccountSid: `AC${hex(32)}`,
          From: '+15005550006',
          To: '+15005550001',
          Body: 'Payment received',
        }).toString(),
        signInput: {},
      };
    }
    case 'lemonsqueezy': {
      const id = hex(8);
      return { id, body: JSON.stringify({ meta: { event_name: 'order_created' }, data: { type: 'orders', id } }), signInput: { eventName: 'order_created' } };
    }
    default: {
      const id = `evt_${hex(24)}`;
      return { id, body: JSON.stringify({ id, type: 'demo.event', created: nowSeconds, data: {} }), signInput: {} };
    }
  }
}
