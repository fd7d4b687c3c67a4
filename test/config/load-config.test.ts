import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { makeTempDir } from '../helpers/inbox.ts';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig from the environment', () => {
  it('applies the seed defaults', () => {
    const dir = makeTempDir();
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8000, adminToken: null, databaseUrl: null });
    expect(config.databasePath).toBe(join(dir, 'data/app.db'));
    expect(config.sources).toEqual([
      expect.objectContaining({ name: 'provider', path: '/webhooks/provider', provider: 'stripe', secrets: [], toleranceSeconds: 300, maxBodyBytes: 1048576 }),
    ]);
    expect(Object.isFrozen(config.sources[0])).toBe(true);
  });

  it('names every invalid variable at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: { STRIPE_TOLERANCE_SECONDS: 'abc', PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', STRIPE_WEBHOOK_SECRET: 'sk_live_nope' },
        cwd: makeTempDir(),
      }),
    );
    expect(problems.join('\n')).toMatch(/STRIPE_TOLERANCE_SECONDS/);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/STRIPE_WEBHOOK_SECRET: secret #0 is not a Stripe webhook secret/);
    expect(problems.join('\n')).not.toContain('sk_live_nope');
  });

  it('splits comma-separated secrets for rotation and labels them by position', () => {
    const config = loadConfig({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_new, whsec_old' }, cwd: makeTempDir() });
    expect(config.sources[0]!.secrets).toEqual([
      { value: 'whsec_new', label: '#0' },
      { value: 'whsec_old', label: '#1' },
    ]);
    expect(problemsOf(() => loadConfig({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_a,,whsec_b' }, cwd: makeTempDir() }))).toEqual([
      'STRIPE_WEBHOOK_SECRET: secret #1 is empty',
    ]);
  });
});

describe('loadConfig from filab.yaml', () => {
  it('reads sources and destinations, substituting ${ENV} secrets', () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, 'filab.yaml'),
      `sources:
  - name: payments
    provider: stripe
    secrets:
      - \${PAY_SECRET}
      - { value: whsec_old, label: old, expires_at: "2030-01-01T00:00:00Z" }
destinations:
  - name: ledger
    url: http://127.0.0.1:9000/hooks
    event_types: ["charge.*"]
    ordering_key: /data/object/id
`,
    );
    const config = loadConfig({ env: { PAY_SECRET: 'whsec_from_env' }, cwd: dir });
    expect(config.sources[0]).toMatchObject({
      name: 'payments',
      path: '/webhooks/payments',
      secrets: [
        { value: 'whsec_from_env', label: '#0' },
        { value: 'whsec_old', label: 'old', expiresAt: Date.parse('2030-01-01T00:00:00Z') },
      ],
    });
    expect(config.destinations[0]).toMatchObject({
      name: 'ledger',
      eventTypes: ['charge.*'],
      orderingKey: '/data/object/id',
      maxInFlight: 16,
      retrySchedule: [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
    });
  });

  it('lists every problem with its path, and rejects unknown providers', () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, 'filab.yaml'),
      `sources:
  - name: a
    provider: stripe-ish
    secrets: ["\${MISSING_VAR}"]
  - name: b
    provider: stripe
    secrets: [" whsec_padded "]
    surprise: 1
destinations:
  - name: d
    url: http://127.0.0.1/x
    handler: both
`,
    );
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir }));
    const text = problems.join('\n');
    expect(text).toMatch(/sources\[1\]: Unrecognized key: "surprise"|sources\[1\].*surprise/);
    expect(text).toMatch(/destinations\[0\].*exactly one of url or handler/);
  });

  it('reports semantic problems when the shape is valid', () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, 'filab.yaml'),
      'sources:\n  - name: a\n    provider: stripe-ish\n    secrets: ["${MISSING_VAR}"]\n  - name: b\n    provider: stripe\n    secrets: [" whsec_padded "]\n',
    );
    const text = problemsOf(() => loadConfig({ env: {}, cwd: dir })).join('\n');
    expect(text).toContain('sources[0].provider: unknown provider "stripe-ish"');
    expect(text).toContain('sources[0].secrets[0]: environment variable MISSING_VAR is not set');
    expect(text).toContain('sources[1].secrets[0]: has surrounding whitespace');
  });
});

describe('loadConfig: trust boundaries in the config', () => {
  const load = (yaml: string) => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'filab.yaml'), yaml);
    return () => loadConfig({ env: {}, cwd: dir });
  };

  it('refuses trust_proxy: true, naming the alternatives, and takes a list of addresses and CIDRs', () => {
    expect(problemsOf(load('server:\n  trust_proxy: true\n')).join('\n')).toMatch(/server\.trust_proxy: true .*list your proxies instead/);
    expect(problemsOf(load('server:\n  trust_proxy: ["127.0.0.1", "not-an-ip", "10.0.0.0/33"]\n'))).toEqual([
      'server.trust_proxy: "not-an-ip" is not an IP address or CIDR',
      'server.trust_proxy: "10.0.0.0/33" is not an IP address or CIDR',
    ]);
    expect(load('server:\n  trust_proxy: ["127.0.0.1", "10.0.0.0/8", "::1"]\n')().server.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(load('server:\n  trust_proxy: false\n')().server.trustProxy).toEqual([]);
  });

  it('refuses destination headers that cannot go on the wire or that the worker sets itself', () => {
    const yaml = (headers: string) => `destinations:\n  - name: d\n    url: https://example.com/hook\n    headers: ${headers}\n`;
    expect(problemsOf(load(yaml('{ "bad name": "x" }')))).toEqual(['destinations[0].headers: header name "bad name" is not a valid HTTP header name']);
    expect(problemsOf(load(yaml('{ "x-team": "a\\r\\nx-evil: 1" }')))[0]).toMatch(/destinations\[0\]\.headers\.x-team: value has a control character/);
    expect(problemsOf(load(yaml('{ "x-team": "caf\\u00e9 \\u2603" }')))[0]).toMatch(/outside Latin-1/);
    expect(problemsOf(load(yaml('{ "Webhook-Signature": "v1,x" }')))[0]).toMatch(/is set by the worker/);
    expect(problemsOf(load(yaml('{ "content-length": "1" }')))[0]).toMatch(/is set by the worker/);
    expect(load(yaml('{ "x-team": "payments", "authorization": "Bearer abc" }'))().destinations[0]!.headers).toEqual({
      'x-team': 'payments',
      authorization: 'Bearer abc',
    });
  });

  it('reads database.allow_unsafe_commit and retention.dedupe_days, with safe defaults', () => {
    expect(load('sources: []\n')()).toMatchObject({ allowUnsafeCommit: false, retention: { dedupeDays: 35 } });
    expect(load('database:\n  allow_unsafe_commit: true\nretention:\n  dedupe_days: 90\n')()).toMatchObject({
      allowUnsafeCommit: true,
      retention: { dedupeDays: 90 },
    });
  });
});

describe('loadConfig: every scheme checks its secrets at startup', () => {
  const GOOD: Record<string, string> = { adyen: 'AB12', 'standard-webhooks': 'whsec_c2VlZA==', stripe: 'whsec_ok', github: 'ok' };
  const load = (provider: string, secret: string) => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'filab.yaml'), `sources:\n  - name: in-${provider}\n    provider: ${provider}\n    secrets: ["${GOOD[provider]}", "${secret}"]\n`);
    return () => loadConfig({ env: {}, cwd: dir });
  };

  it.each([
    ['adyen', 'not-hex-DFB1EB54', /^sources\[0\]\.secrets\[1\]: is not an Adyen HMAC key .*\(source "in-adyen"\)$/],
    ['adyen', 'ABC', /^sources\[0\]\.secrets\[1\]: is not an Adyen HMAC key/],
    ['standard-webhooks', 'whsec_not*base64', /^sources\[0\]\.secrets\[1\]: is not a Standard Webhooks secret .*\(source "in-standard-webhooks"\)$/],
    ['standard-webhooks', 'whsec_', /^sources\[0\]\.secrets\[1\]: is not a Standard Webhooks secret/],
    ['standard-webhooks', 'whpk_c2hvcnQ=', /^sources\[0\]\.secrets\[1\]: is not a usable Ed25519 key \(whpk_ must be followed/],
    ['stripe', 'sk_live_abc123', /^sources\[0\]\.secrets\[1\]: is not a Stripe webhook secret .*\(source "in-stripe"\)$/],
    ['github', '', /^sources\[0\]\.secrets\[1\]: is empty \(source "in-github"\)$/],
  ])('%s refuses %j, naming the source and the index, never the secret', (provider, secret, message) => {
    const problems = problemsOf(load(provider, secret));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    // A bare prefix is the scheme's own format name, which the message may name; any other text must not appear.
    const material = secret.replace(/^(whsec_|whpk_)/, '');
    if (material) expect(problems[0]).not.toContain(material);
  });

  it('accepts the key forms each scheme can verify with', () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, 'filab.yaml'),
      `sources:
  - { name: a, provider: adyen, secrets: ["44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"] }
  - { name: s, provider: standard-webhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "c2VjcmV0", "whpk_${Buffer.alloc(32, 1).toString('base64')}"] }
  - { name: g, provider: github, secrets: ["any text at all"] }
`,
    );
    expect(loadConfig({ env: {}, cwd: dir }).sources.map((s) => s.secrets.length)).toEqual([1, 3, 1]);
  });
});
