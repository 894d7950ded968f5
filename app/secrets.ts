import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets a single node may make for itself when the operator set none: generated once
 * and kept in DATA_DIR/secrets.json (mode 0600), so tokens survive a restart. Several
 * nodes must share them: set the variables instead (the README says so).
 */
export function localSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, 'secrets.json');
  let secrets: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch (err) {
      throw new Error(`${file} is not valid JSON (delete it to make new secrets; visitors will then start new sessions)`, { cause: err });
    }
  }
  const existing = secrets[name];
  if (existing) return existing;
  const value = randomBytes(32).toString('base64url');
  secrets[name] = value;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return value;
}
