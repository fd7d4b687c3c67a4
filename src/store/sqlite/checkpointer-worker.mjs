// The SQLite checkpointer thread: copies committed WAL frames into the database file every intervalMs with a
// PASSIVE checkpoint, which never blocks the writer, so no ingest commit has to stop for a checkpoint itself
// (under sustained load those were the slowest commits). Plain JavaScript, so the thread needs no loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
// It writes the database file: sync it like every other connection does (the durability check asks).
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or an I/O error: the next round tries again, and the connections' own autocheckpoint bounds the WAL.
  }
}, workerData.intervalMs);

parentPort.on('message', (message) => {
  if (message?.settings) {
    const settings = {
      synchronous: Number(db.pragma('synchronous', { simple: true })),
      journalMode: String(db.pragma('journal_mode', { simple: true })).toLowerCase(),
    };
    parentPort.postMessage({ settings });
    return;
  }
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ closed: true });
});
parentPort.postMessage({ ready: true });
