/**
 * botocore as a reference reader: ONE python process per batch, reading JSON requests on stdin
 * (one per line) and answering one JSON line each. Uses Debian's python3-botocore through
 * REFERENCE_PYTHON (default /usr/bin/python3), in UTF-8 mode like any UTF-8 desktop or CI locale.
 */
import { spawn } from 'node:child_process';

export const REFERENCE_PYTHON = process.env.REFERENCE_PYTHON || '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys
from botocore import configloader
from botocore.credentials import SharedCredentialProvider
for line in sys.stdin:
    req = json.loads(line)
    out = {'id': req['id']}
    try:
        raw = configloader.raw_config_parse(req['path'])
        out['ok'] = True
        out['raw'] = raw
        if req.get('kind') == 'config':
            out['profiles'] = configloader.build_profile_map(raw)['profiles']
        if req.get('target') is not None:
            creds = SharedCredentialProvider(creds_filename=req['path'], profile_name=req['target']).load()
            out['credentials'] = None if creds is None else {'access_key': creds.access_key, 'secret_key': creds.secret_key, 'token': creds.token}
    except Exception as e:
        out['ok'] = False
        out['error'] = type(e).__name__ + ': ' + str(e)
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
`;

export interface ReferenceRequest {
  id: string;
  path: string;
  kind: 'credentials' | 'config';
  /** Credentials file: also load this profile with botocore's SharedCredentialProvider. */
  target?: string;
}

export type Raw = Record<string, Record<string, string | Record<string, string>>>;

export interface ReferenceResult {
  id: string;
  ok: boolean;
  error?: string;
  raw?: Raw;
  profiles?: Raw;
  credentials?: { access_key: string; secret_key: string; token: string | null } | null;
}

export function readWithBotocore(requests: ReferenceRequest[]): Promise<Map<string, ReferenceResult>> {
  return new Promise((resolve, reject) => {
    const child = spawn(REFERENCE_PYTHON, ['-c', SCRIPT], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONUTF8: '1', LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const results = new Map<string, ReferenceResult>();
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const r = JSON.parse(buffered.slice(0, nl)) as ReferenceResult;
        results.set(r.id, r);
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`botocore reader exited ${code}: ${stderr}`));
      else resolve(results);
    });
    child.stdin.end(requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}
