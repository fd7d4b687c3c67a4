/**
 * End a worker thread of this process for real, from outside: through the inspector, the named thread runs
 * process.exit() itself, wherever it is (between two commits or in the middle of one). No test-only code in the
 * thread; the supervisor sees exactly what it would see after a crash.
 */
import { Session } from 'node:inspector/promises';
import { until } from '../metrics/receiver.ts';

interface AttachedWorker {
  sessionId: string;
  title: string;
}

/** Make the live thread whose name contains `name` exit with `code`; resolves once it has gone. */
export async function exitThread(name: string, code = 1): Promise<void> {
  const session = new Session();
  session.connect();
  const attached: AttachedWorker[] = [];
  const detached = new Set<string>();
  session.on('NodeWorker.attachedToWorker', ({ params }) => attached.push({ sessionId: params.sessionId, title: params.workerInfo.title }));
  session.on('NodeWorker.detachedFromWorker', ({ params }) => detached.add(params.sessionId));
  try {
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    await until(() => attached.some((w) => w.title.includes(name)), `a thread named ${name}`);
    const target = attached.find((w) => w.title.includes(name))!;
    const evaluate = { id: 1, method: 'Runtime.evaluate', params: { expression: `process.exit(${code})` } };
    await session.post('NodeWorker.sendMessageToWorker', { sessionId: target.sessionId, message: JSON.stringify(evaluate) });
    await until(() => detached.has(target.sessionId), `the thread named ${name} to exit`);
  } finally {
    session.disconnect();
  }
}
