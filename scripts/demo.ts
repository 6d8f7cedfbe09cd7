/**
 * `npm run demo`: the real CLI against the project's loopback STS/IAM emulator in a scratch HOME.
 * Nothing touches your own ~/.aws or the network.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomSeed, startEmulator, totp } from '../test/emulator/index.js';

const CLI = resolve(import.meta.dirname, '..', 'bin', 'aws-mfa-refresh.cjs');
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);

const phone = {
  serialNumber: 'arn:aws:iam::123456789012:mfa/alice-phone',
  seed: randomSeed(),
  enableDate: new Date('2025-03-02T09:00:00Z'),
};
const yubikey = {
  serialNumber: 'arn:aws:iam::123456789012:mfa/alice-yubikey',
  seed: randomSeed(),
  enableDate: new Date('2025-06-10T09:00:00Z'),
};
const alice = {
  userName: 'alice',
  accessKeyId: 'AKIADEMO000000000001',
  secretAccessKey: 'demoSecretKeyDoNotUseAnywhere0000000000',
  devices: [phone, yubikey],
};

function say(text: string) {
  process.stdout.write(`\n\x1b[1m# ${text}\x1b[0m\n`);
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res) => {
    process.stdout.write(`$ aws-mfa-refresh ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: interactive ? 'inherit' : ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => res(code ?? 1));
  });
}

const emulator = await startEmulator({ users: [alice] });
const home = await mkdtemp(join(tmpdir(), 'aws-mfa-refresh-demo-'));
try {
  await mkdir(join(home, '.aws'), { mode: 0o700 });
  const credentials = join(home, '.aws', 'credentials');
  await writeFile(
    credentials,
    `# alice's long-term keys\n[default-long-term]\naws_access_key_id = ${alice.accessKeyId}\naws_secret_access_key = ${alice.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, AWS_ENDPOINT_URL: emulator.url };
  for (const k of [
    'AWS_PROFILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ])
    delete env[k];

  say(`Emulator on ${emulator.url}; scratch HOME ${home}`);
  say('~/.aws/credentials before:');
  process.stdout.write((await readFile(credentials, 'utf8')).replace(/(aws_secret_access_key = ).*/, '$1…'));

  const started = Date.now();
  let code: number;
  if (interactive) {
    say(
      `Demo device codes right now: alice-phone ${totp(phone.seed)}, alice-yubikey ${totp(yubikey.seed)}. Pick a device, then type its code.`,
    );
    code = await cli([], env);
  } else {
    say('No terminal: choosing the device and passing the code with flags.');
    const c = totp(phone.seed);
    process.stdout.write(`(current code of alice-phone: ${c})\n`);
    code = await cli(['--serial-number', phone.serialNumber, '--code', c], env);
  }
  if (code !== 0) process.exit(code);
  process.stdout.write(`(took ${Date.now() - started} ms)\n`);

  say('~/.aws/credentials after (secrets elided):');
  process.stdout.write(
    (await readFile(credentials, 'utf8')).replace(/(aws_secret_access_key|aws_session_token)( = ).*/g, '$1$2…'),
  );

  say('Run again: the session is still valid, so nothing is asked.');
  await cli([], env);

  say('The new profile works with the AWS SDK (sts:GetCallerIdentity against the emulator):');
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const { fromIni } = await import('@aws-sdk/credential-providers');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials: fromIni({ profile: 'default', filepath: credentials, configFilepath: join(home, '.aws', 'config') }),
  });
  const who = await sts.send(new GetCallerIdentityCommand({}));
  process.stdout.write(`${who.Arn}\n`);
} finally {
  await emulator.close();
  await rm(home, { recursive: true, force: true });
}
