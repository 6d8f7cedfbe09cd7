/**
 * Trust policies (a role's AssumeRolePolicyDocument), parsed and evaluated the way IAM does for
 * sts:AssumeRole: an explicit Deny wins, then any Allow, else the implicit deny. Supports the
 * Principal forms a trust policy names for AWS principals ("*", an account id, an account root,
 * user, role and assumed-role ARNs) and the common condition operators, with IfExists.
 * Anything else is refused when the role is configured, so a test never relies on a silent no-op.
 */

export interface PolicyStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** undefined → Principal "*" */
  principals: string[];
  actions: string[];
  conditions: PolicyCondition[];
}

export interface PolicyCondition {
  operator: string;
  /** condition key, lower-cased (keys are case-insensitive) */
  key: string;
  values: string[];
}

export interface TrustPolicy {
  text: string;
  statements: PolicyStatement[];
}

/** What the request looks like to the policy: who asks, and the condition keys present. */
export interface RequestContext {
  /** user ARN, or assumed-role ARN arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  principalArn: string;
  principalAccount: string;
  /** for role sessions: the role's IAM ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME) */
  roleArn?: string;
  action: string;
  /** lower-cased key → value; absent keys are not in the request context */
  keys: Record<string, string>;
}

const OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'Bool',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);
const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'NumericNotEquals',
  'ArnNotEquals',
  'ArnNotLike',
]);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function fail(message: string): never {
  throw new Error(`emulator: trust policy: ${message}`);
}

function strings(value: unknown, what: string): string[] {
  const list = asList(value);
  if (list.length === 0 || list.some((v) => typeof v !== 'string' && typeof v !== 'boolean' && typeof v !== 'number')) {
    fail(`${what} must be a string or a list of strings`);
  }
  return list.map(String);
}

/** Parses and checks a trust policy (JSON text or object). Throws on what IAM would reject or the emulator does not model. */
export function parseTrustPolicy(doc: string | object): TrustPolicy {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || !('Statement' in json)) fail('no Statement');
  const statements = asList((json as { Statement: unknown }).Statement).map((raw, i): PolicyStatement => {
    if (typeof raw !== 'object' || raw === null) fail(`statement ${i} is not an object`);
    const s = raw as Record<string, unknown>;
    for (const unsupported of ['NotPrincipal', 'NotAction', 'Resource', 'NotResource']) {
      if (unsupported in s) fail(`statement ${i}: ${unsupported} is not supported in a trust policy here`);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') fail(`statement ${i}: Effect must be Allow or Deny`);
    if (!('Principal' in s)) fail(`statement ${i}: no Principal`);
    if (!('Action' in s)) fail(`statement ${i}: no Action`);
    return {
      ...(typeof s.Sid === 'string' && { sid: s.Sid }),
      effect: s.Effect,
      principals: parsePrincipal(s.Principal, i),
      actions: strings(s.Action, `statement ${i}: Action`),
      conditions: parseConditions(s.Condition, i),
    };
  });
  return { text, statements };
}

function parsePrincipal(p: unknown, i: number): string[] {
  if (p === '*') return ['*'];
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    fail(`statement ${i}: Principal must be "*" or an object`);
  const out: string[] = [];
  for (const [type, value] of Object.entries(p)) {
    // Service and federated principals never match a caller of this emulator.
    if (type === 'Service' || type === 'Federated' || type === 'CanonicalUser') continue;
    if (type !== 'AWS') fail(`statement ${i}: unknown principal type ${type}`);
    for (const name of strings(value, `statement ${i}: Principal.AWS`)) {
      const ok =
        name === '*' ||
        /^\d{12}$/.test(name) ||
        /^arn:aws:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(name) ||
        /^arn:aws:sts::\d{12}:assumed-role\/[^/]+\/[^/]+$/.test(name);
      if (!ok) fail(`statement ${i}: invalid principal ${name}`);
      out.push(name);
    }
  }
  return out;
}

function parseConditions(c: unknown, i: number): PolicyCondition[] {
  if (c === undefined) return [];
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail(`statement ${i}: Condition must be an object`);
  const out: PolicyCondition[] = [];
  for (const [operator, block] of Object.entries(c)) {
    const base = operator.endsWith('IfExists') ? operator.slice(0, -'IfExists'.length) : operator;
    if (!OPERATORS.has(base) || (base === 'Null' && operator !== base))
      fail(`statement ${i}: unsupported condition operator ${operator}`);
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      fail(`statement ${i}: ${operator} must map keys to values`);
    for (const [key, values] of Object.entries(block)) {
      out.push({ operator, key: key.toLowerCase(), values: strings(values, `statement ${i}: ${operator}.${key}`) });
    }
  }
  return out;
}

// --- evaluation ----------------------------------------------------------------------------------

/** IAM wildcards: `*` any run, `?` one character; case-sensitive unless `ignoreCase`. */
function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalMatches(name: string, ctx: RequestContext): boolean {
  if (name === '*') return true;
  if (/^\d{12}$/.test(name)) return ctx.principalAccount === name;
  const root = /^arn:aws:iam::(\d{12}):root$/.exec(name);
  if (root) return ctx.principalAccount === root[1];
  if (name.startsWith('arn:aws:iam::') && name.includes(':role/')) return ctx.roleArn === name;
  return ctx.principalArn === name;
}

function matchOne(base: string, want: string, have: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
      return want === have;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return want.toLowerCase() === have.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return globMatch(want, have);
    case 'Bool':
      return want.toLowerCase() === have.toLowerCase();
    default: {
      const a = Number(have);
      const b = Number(want);
      if (Number.isNaN(a) || Number.isNaN(b) || have.trim() === '') return false;
      if (base === 'NumericEquals' || base === 'NumericNotEquals') return a === b;
      if (base === 'NumericLessThan') return a < b;
      if (base === 'NumericLessThanEquals') return a <= b;
      if (base === 'NumericGreaterThan') return a > b;
      return a >= b; // NumericGreaterThanEquals
    }
  }
}

function conditionHolds(c: PolicyCondition, ctx: RequestContext): boolean {
  const ifExists = c.operator.endsWith('IfExists');
  const base = ifExists ? c.operator.slice(0, -'IfExists'.length) : c.operator;
  const have = ctx.keys[c.key];
  if (base === 'Null') return c.values.some((v) => (v.toLowerCase() === 'true') === (have === undefined));
  if (have === undefined) return ifExists || NEGATED.has(base);
  const anyMatch = c.values.some((want) => matchOne(base, want, have));
  return NEGATED.has(base) ? !anyMatch : anyMatch;
}

function statementApplies(s: PolicyStatement, ctx: RequestContext): boolean {
  return (
    s.principals.some((p) => principalMatches(p, ctx)) &&
    s.actions.some((a) => globMatch(a, ctx.action, true)) &&
    s.conditions.every((c) => conditionHolds(c, ctx))
  );
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export function evaluate(policy: TrustPolicy, ctx: RequestContext): Decision {
  const applying = policy.statements.filter((s) => statementApplies(s, ctx));
  if (applying.some((s) => s.effect === 'Deny')) return 'explicit-deny';
  return applying.some((s) => s.effect === 'Allow') ? 'allow' : 'implicit-deny';
}

// --- ready-made documents for tests --------------------------------------------------------------

/**
 * The trust policy AWS's console writes for "another AWS account" (here: the account's root), with
 * the usual options: `mfa` adds Bool aws:MultiFactorAuthPresent = true, `maxMfaAgeSeconds` a
 * NumericLessThan on aws:MultiFactorAuthAge, `externalId` a StringEquals on sts:ExternalId.
 */
export function trustPolicy(
  principal: string | string[],
  opts: { mfa?: boolean; maxMfaAgeSeconds?: number; externalId?: string } = {},
): object {
  const condition: Record<string, Record<string, string>> = {};
  if (opts.mfa) condition.Bool = { 'aws:MultiFactorAuthPresent': 'true' };
  if (opts.maxMfaAgeSeconds !== undefined)
    condition.NumericLessThan = { 'aws:MultiFactorAuthAge': String(opts.maxMfaAgeSeconds) };
  if (opts.externalId !== undefined) condition.StringEquals = { 'sts:ExternalId': opts.externalId };
  const aws = asList(principal).map((p) => (/^\d{12}$/.test(String(p)) ? `arn:aws:iam::${p}:root` : String(p)));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: aws.length === 1 ? aws[0] : aws },
        Action: 'sts:AssumeRole',
        ...(Object.keys(condition).length > 0 && { Condition: condition }),
      },
    ],
  };
}
