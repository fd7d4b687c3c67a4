/** SIGTERM/SIGINT once: run the graceful stop, then exit. A second signal exits at once. */
import type { pino } from 'pino';

export function onShutdownSignal(logger: pino.Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new claims, finishing in-flight work');
    try {
      await stop();
      logger.info({}, 'stopped');
    } catch (err) {
      logger.error({ err }, 'error while stopping');
    }
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void handle('SIGTERM'));
  process.on('SIGINT', () => void handle('SIGINT'));
}
