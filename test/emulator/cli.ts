/**
 * Runs the STS + IAM emulator standalone with a demo user, for trying the CLI by hand:
 *
 *   npx tsx test/emulator/cli.ts [--port 4566] [--host 127.0.0.1] [--user demo] [--seed BASE32]
 *                                [--account 123456789012] [--skew SECONDS]
 *                                [--role NAME]... [--spec FILE.json] [--role-session-seconds N]
 *
 * Prints the endpoint, the demo user's long-term keys, the MFA serial and seed, and the current
 * TOTP code each time it changes. Ctrl-C stops it.
 *
 * --role NAME adds a role in the account whose trust policy allows the account root with
 * aws:MultiFactorAuthPresent = true (the usual "one code a day" set-up). --spec adds more users
 * and roles from JSON: { "users": [UserSpec…], "roles": [RoleSpec…] } (see state.ts; a role's
 * trustPolicy is the policy document as JSON). --role-session-seconds issues short role sessions.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEmulator, randomSeed, totp, trustPolicy, type RoleSpec, type UserSpec } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    user: { type: 'string', default: 'demo' },
    seed: { type: 'string' },
    account: { type: 'string', default: '123456789012' },
    skew: { type: 'string', default: '0' },
    role: { type: 'string', multiple: true, default: [] },
    spec: { type: 'string' },
    'role-session-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: npx tsx test/emulator/cli.ts [--port N] [--host H] [--user NAME] [--seed BASE32] [--account ID] [--skew SECONDS]\n' +
      '                                  [--role NAME]... [--spec FILE.json] [--role-session-seconds N]',
  );
  process.exit(0);
}

const userName = values.user;
const accountId = values.account;
const seed = values.seed ?? randomSeed();
const serialNumber = `arn:aws:iam::${accountId}:mfa/${userName}`;
const accessKeyId = 'AKIAEMULATORDEMO0001';
const secretAccessKey = 'emulatorDemoSecretKey0000000000000000000';
const skew = Number(values.skew);
const roleSessionSeconds =
  values['role-session-seconds'] === undefined ? undefined : Number(values['role-session-seconds']);

interface Spec {
  users?: (UserSpec & { devices?: { serialNumber: string; seed: string; enableDate?: string | Date }[] })[];
  roles?: RoleSpec[];
}
const spec: Spec = values.spec ? (JSON.parse(readFileSync(values.spec, 'utf8')) as Spec) : {};
const specUsers: UserSpec[] = (spec.users ?? []).map((u) => ({
  ...u,
  ...(u.devices && {
    devices: u.devices.map((d) => ({ ...d, ...(d.enableDate && { enableDate: new Date(d.enableDate) }) })),
  }),
}));
const roles: RoleSpec[] = [
  ...values.role.map((roleName) => ({ roleName, accountId, trustPolicy: trustPolicy(accountId, { mfa: true }) })),
  ...(spec.roles ?? []),
];

const emulator = await startEmulator({
  host: values.host,
  port: Number(values.port),
  users: [{ userName, accountId, accessKeyId, secretAccessKey, devices: [{ serialNumber, seed }] }, ...specUsers],
  faults: { ...(skew && { clockSkewSeconds: skew }), ...(roleSessionSeconds !== undefined && { roleSessionSeconds }) },
});
const roleArns = roles.map((r) => ({ name: r.roleName, arn: emulator.addRole(r).arn }));

const otpauth = `otpauth://totp/${encodeURIComponent(`Amazon Web Services:${userName}@${accountId}`)}?secret=${seed}&issuer=Amazon%20Web%20Services`;
console.log(`STS + IAM emulator listening on ${emulator.url}

  user            arn:aws:iam::${accountId}:user/${userName}
  MFA serial      ${serialNumber}
  MFA seed        ${seed}
  otpauth URI     ${otpauth}

Shell:
  export AWS_ENDPOINT_URL=${emulator.url}

~/.aws/credentials (long-term keys, for a session profile named "emulator"):
  [emulator-long-term]
  aws_access_key_id = ${accessKeyId}
  aws_secret_access_key = ${secretAccessKey}

~/.aws/config:
  [profile emulator]
  region = us-east-1
  mfa_serial = ${serialNumber}
${roleArns
  .map(
    (r) => `
  [profile ${r.name}]
  role_arn = ${r.arn}
  source_profile = emulator
`,
  )
  .join('')}${specUsers.length ? `\nMore users: ${specUsers.map((u) => u.userName).join(', ')}\n` : ''}
Current code (server clock${skew ? `, skew ${skew} s` : ''}); Ctrl-C to stop:`);

let lastCode = '';
let printed = 0;
const tick = () => {
  const now = emulator.now();
  const code = totp(seed, now);
  if (code !== lastCode) {
    lastCode = code;
    const left = 30 - (Math.floor(now / 1000) % 30);
    console.log(
      `  ${new Date(now).toISOString()}  code ${code}  (current step ends in ${left} s; accepted one step either side)`,
    );
  }
  // Echo answered calls, so it is visible what arrived.
  while (printed < emulator.requests.length && emulator.requests[printed]!.status !== 0) {
    const r = emulator.requests[printed++]!;
    console.log(`  <- ${r.service}:${r.action || '?'} key=${r.accessKeyId ?? '-'} -> HTTP ${r.status}`);
  }
};
tick();
const timer = setInterval(tick, 250);

const stop = async () => {
  clearInterval(timer);
  await emulator.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
