/**
 * Store benchmark: the transcript hot path (append a message, read a customer's history)
 * through our SQLite adapter and, when MONGODB_URI is set, our MongoDB adapter, against a
 * baseline of raw better-sqlite3 prepared statements doing the same inserts in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import mongoose from 'mongoose';
import { openMongoStore, openSqliteStore, type Store } from '../store/index.js';

const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 5000);
const CONVERSATIONS = 50;

interface Result {
  name: string;
  appendPerSec: number;
  historyMsP50: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function benchStore(name: string, store: Store): Promise<Result> {
  const convs = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const c = await store.customers.create({ displayName: `Bench ${i}` });
    convs.push(await store.conversations.create({ customerId: c.id, channel: 'web' }));
  }
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const conv = convs[i % CONVERSATIONS]!;
    await store.messages.append({
      conversationId: conv.id,
      customerId: conv.customerId,
      direction: i % 2 ? 'out' : 'in',
      sender: i % 2 ? 'bot' : 'customer',
      channel: 'web',
      text: `message ${i} where is my order SA1000${i % 100}`,
    });
  }
  const appendSec = (performance.now() - t0) / 1000;
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const conv = convs[i % CONVERSATIONS]!;
    const s = performance.now();
    await store.messages.listByCustomer(conv.customerId, { limit: 50 });
    times.push(performance.now() - s);
  }
  return { name, appendPerSec: MESSAGES / appendSec, historyMsP50: percentile(times, 50) };
}

function benchRawSqlite(file: string): Result {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE m (id TEXT PRIMARY KEY, conv TEXT, seq INTEGER, text TEXT, created_at INTEGER, UNIQUE(conv, seq))');
  db.exec('CREATE INDEX m_conv ON m(conv, created_at)');
  const insert = db.prepare('INSERT INTO m VALUES (?, ?, (SELECT COALESCE(MAX(seq),0)+1 FROM m WHERE conv = ?), ?, ?)');
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const conv = `c${i % CONVERSATIONS}`;
    insert.run(`m${i}`, conv, conv, `message ${i} where is my order SA1000${i % 100}`, Date.now());
  }
  const appendSec = (performance.now() - t0) / 1000;
  const select = db.prepare('SELECT * FROM m WHERE conv = ? ORDER BY created_at DESC LIMIT 50');
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    select.all(`c${i % CONVERSATIONS}`);
    times.push(performance.now() - s);
  }
  db.close();
  return { name: 'baseline: raw better-sqlite3', appendPerSec: MESSAGES / appendSec, historyMsP50: percentile(times, 50) };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-bench-store-'));
  const results: Result[] = [];
  try {
    results.push(benchRawSqlite(path.join(dir, 'raw.db')));
    const sqlite = await openSqliteStore({ file: path.join(dir, 'shop.db') });
    results.push(await benchStore('SqliteStore', sqlite));
    await sqlite.close();
    const base = process.env['MONGODB_URI'];
    if (base) {
      const u = new URL(base);
      u.pathname = `/sa_bench_${randomBytes(4).toString('hex')}`;
      const mongo = await openMongoStore({ uri: u.toString() });
      results.push(await benchStore('MongoStore', mongo));
      await mongo.close();
      const conn = await mongoose.createConnection(u.toString()).asPromise();
      await conn.dropDatabase();
      await conn.close();
    } else {
      console.log('(MongoStore skipped: set MONGODB_URI to include it)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const baseline = results[0]!;
  console.log(`${MESSAGES} appends over ${CONVERSATIONS} conversations; 200 history reads of 50 messages`);
  console.log(['store'.padEnd(30), 'appends/s'.padStart(10), 'x base'.padStart(8), 'history p50 ms'.padStart(15), 'x base'.padStart(8)].join(' '));
  for (const r of results) {
    console.log(
      [
        r.name.padEnd(30),
        r.appendPerSec.toFixed(0).padStart(10),
        (r.appendPerSec / baseline.appendPerSec).toFixed(2).padStart(8),
        r.historyMsP50.toFixed(3).padStart(15),
        (r.historyMsP50 / baseline.historyMsP50).toFixed(2).padStart(8),
      ].join(' '),
    );
  }
}
