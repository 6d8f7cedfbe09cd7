/**
 * src/keys in a separate, killable process. The modules are transpiled once with TypeScript into
 * node_modules/.cache (plain JavaScript: a tsx start per child costs ~0.5 s of CPU), where Node
 * still finds the project's packages (@napi-rs/keyring, @smithy/...).
 *
 * The child reads its job as JSON on stdin (never argv: no secret in a command line), takes the
 * file store's passphrase from AWS_MFA_REFRESH_PASSPHRASE like the CLI will, prints one JSON line
 * (no secrets: a SHA-256 of the secret at most) and exits with the error's exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { watchChild, type WatchedChild } from './watched-child.js';
import { REPO, transpileSrc } from './transpile.js';

const OUT = join(REPO, 'node_modules', '.cache', `amr-keys-test-${process.pid}`);

export type Job =
  | {
      op: 'import';
      store: 'file' | 'keychain';
      profile: string;
      credentials: string;
      config: string;
      keyFile?: string;
      credentialProcess?: boolean;
    }
  | { op: 'export'; store: 'file' | 'keychain'; profile: string; credentials: string; config: string; keyFile?: string }
  | {
      op: 'put';
      store: 'file' | 'keychain';
      profile: string;
      credentials: string;
      keyFile?: string;
      accessKeyId: string;
      secretFrom: 'env';
    }
  | { op: 'get'; store: 'file' | 'keychain'; profile: string; credentials: string; keyFile?: string; expected?: string }
  | { op: 'probe'; store: 'keychain' }
  | { op: 'credential-process'; store: 'file' | 'keychain'; profile: string; credentials: string; keyFile?: string };

const RUNNER = `
import { createHash } from 'node:crypto';
const base = process.argv[2];
const keys = await import(base + '/keys/index.js');
const transfer = await import(base + '/keys/transfer.js');
let input = process.env.AMR_TEST_JOB ?? '';
if (!input) for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const cost = { log2N: 12, r: 8, p: 1 };
async function open() {
  if (job.store === 'keychain') return keys.openKeyStore('keychain');
  const { EncryptedFileStore } = await import(base + '/keys/encrypted-file-store.js');
  return new EncryptedFileStore({ path: job.keyFile, passphrase: process.env.AWS_MFA_REFRESH_PASSPHRASE ?? '', cost });
}
const sha = (s) => createHash('sha256').update(s).digest('hex');
try {
  const store = await open();
  const files = { credentials: job.credentials, config: job.config };
  const ref = { profile: job.profile, credentialsFile: job.credentials };
  let result;
  if (job.op === 'credential-process') {
    // What \`keys credential-process\` will do: the one place the secret goes to stdout, for the AWS CLI/SDK that asked.
    process.stdout.write(keys.credentialProcessOutput(await store.get(ref)));
    process.exit(0);
  }
  if (job.op === 'probe') result = { ok: true };
  else if (job.op === 'import') result = await transfer.importKeys({ store, profile: job.profile, files, credentialProcess: job.credentialProcess });
  else if (job.op === 'export') result = await transfer.exportKeys({ store, profile: job.profile, files });
  else if (job.op === 'put') {
    await store.put(ref, { accessKeyId: job.accessKeyId, secretAccessKey: process.env.TEST_SECRET, createdAt: new Date().toISOString() });
    result = { ok: true };
  } else if (job.op === 'get') {
    const key = await store.get(ref, job.expected);
    result = key ? { accessKeyId: key.accessKeyId, secretSha: sha(key.secretAccessKey) } : { found: false };
  }
  process.stdout.write(JSON.stringify({ ok: true, accessKeyId: result?.accessKeyId, exact: result?.exact, secretSha: result?.secretSha, found: result?.found }) + '\\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error.message, hint: error.hint, exitCode: error.exitCode ?? 1 }) + '\\n');
  process.exitCode = typeof error.exitCode === 'number' ? error.exitCode : 1;
}
`;

function build(): string {
  const script = join(OUT, 'runner.mjs');
  if (existsSync(script)) return script;
  transpileSrc(OUT);
  writeFileSync(script, RUNNER);
  return script;
}

/** Removes the transpiled modules (call in afterAll). */
export function cleanupKeysChildren(): void {
  rmSync(OUT, { recursive: true, force: true });
}

/** argv of a child that runs the job given in AMR_TEST_JOB (for a credential_process line). */
export function keysChildCommand(): string[] {
  return [process.execPath, build(), pathToFileURL(join(OUT, 'src')).href];
}

export interface KeysChild extends WatchedChild {
  /** The parsed JSON line, once exited normally. */
  result(): Promise<{
    ok?: boolean;
    error?: string;
    hint?: string;
    exitCode?: number;
    accessKeyId?: string;
    secretSha?: string;
    exact?: boolean;
    found?: boolean;
  }>;
}

export function startKeysChild(job: Job, env: NodeJS.ProcessEnv): KeysChild {
  const script = build();
  const proc = spawn(process.execPath, [script, pathToFileURL(join(OUT, 'src')).href], {
    cwd: REPO,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stdin!.end(JSON.stringify(job));
  const child = watchChild(proc);
  return Object.assign(child, {
    async result() {
      await child.exited;
      return JSON.parse(child.stdout.trim().split('\n').pop() || '{}');
    },
  });
}
