/**
 * Run by process-guard.test.ts as its own process: installs the guard as `filab serve` does, lets an exception
 * and a rejection escape, then prints the metric and exits 0 (had the guard not held, Node would exit 1 first).
 */
import { makeLogger } from '../../src/log.ts';
import { makeMetrics } from '../../src/metrics.ts';
import { installProcessGuard } from '../../src/process-guard.ts';

const metrics = makeMetrics();
installProcessGuard({ log: makeLogger('info', { pretty: false }), metrics });

const leaky = Object.assign(new Error('escaped exception'), { code: 'E_TEST', config: { password: 'hunter2-never-logged' } });
setTimeout(() => {
  throw leaky;
}, 10);
void Promise.reject(new Error('escaped rejection'));
void Promise.reject('a bare string');

setTimeout(async () => {
  const text = await metrics.registry.metrics();
  console.log(
    text
      .split('\n')
      .filter((l) => l.startsWith('filab_uncaught_errors_total'))
      .join('\n'),
  );
  console.log('still running');
  process.exit(0);
}, 200);
