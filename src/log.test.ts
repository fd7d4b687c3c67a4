import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyChild, makeLogger } from './log.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: makeLogger(level, { pretty: false, destination }), lines };
}

describe('lazyChild', () => {
  it('logs with its bindings when the level is enabled', async () => {
    const { logger, lines } = capture('info');
    lazyChild(logger, { reqId: 'req-1' }).info({ outcome: 'accepted' }, 'ingest');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([expect.objectContaining({ reqId: 'req-1', outcome: 'accepted', msg: 'ingest' })]);
  });

  it('makes no child for lines below the level, and one child however many lines follow', () => {
    const { logger } = capture('warn');
    let children = 0;
    const parent = Object.assign(Object.create(logger) as typeof logger, {
      child: (bindings: object) => {
        children++;
        return logger.child(bindings);
      },
    });
    const log = lazyChild(parent, { reqId: 'req-2' });
    log.info({}, 'below warn');
    log.debug({}, 'below warn');
    expect(children).toBe(0);
    log.warn({}, 'first');
    log.error({}, 'second');
    expect(children).toBe(1);
  });
});
