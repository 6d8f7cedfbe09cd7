/**
 * Renders the policy document as printed by `aws-mfa-refresh policy --format ...`:
 * the IAM JSON document, a CloudFormation template (JSON or YAML) or a Terraform resource.
 * No runtime dependency: the YAML and HCL writers below are small and quote every string that needs it.
 */
import { ExitCode, UserError } from '../errors.js';
import type { PolicyDocument } from './document.js';
import { DEFAULT_NAME, type Format } from './options.js';

export interface RenderOptions {
  /** CloudFormation logical id and ManagedPolicyName; Terraform resource name and `name`. */
  name?: string;
  description?: string;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function defaultDescription(maxAge: number): string {
  return `Denies every action except MFA self-service to IAM users who did not sign in with MFA in the last ${maxAge} seconds (aws-mfa-refresh policy).`;
}

/**
 * One name that is valid everywhere it goes: a CloudFormation logical id (letters and digits), an IAM
 * policy name, and a Terraform resource name.
 */
export function checkName(name: string, source = '--name'): string {
  if (!/^[A-Za-z][A-Za-z0-9]{0,127}$/.test(name)) {
    throw new UserError(
      `${source} ${JSON.stringify(name)} is not usable as a policy name.`,
      ExitCode.Usage,
      'Use 1 to 128 letters and digits, starting with a letter (it is also the CloudFormation logical id), e.g. MfaEnforcement.',
    );
  }
  return name;
}

export function checkDescription(text: string, source = '--description'): string {
  // IAM: at most 1,000 characters; keep it to printable text so every format carries it unchanged.
  if (text.length > 1000 || /[\u0000-\u001f\u007f-\u009f]/.test(text)) {
    throw new UserError(
      `${source} must be one line of at most 1000 characters.`,
      ExitCode.Usage,
      'Shorten it, and leave out line breaks and control characters.',
    );
  }
  return text;
}

export function renderJson(document: PolicyDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function cloudFormationTemplate(document: PolicyDocument, options: RenderOptions & { description: string }) {
  const name = checkName(options.name ?? DEFAULT_NAME);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      [name]: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: name,
          Description: checkDescription(options.description),
          PolicyDocument: document,
        },
      },
    },
  };
}

export function render(
  document: PolicyDocument,
  format: Format,
  options: RenderOptions & { description: string },
): string {
  switch (format) {
    case 'json':
      return renderJson(document);
    case 'cloudformation-json':
      return `${JSON.stringify(cloudFormationTemplate(document, options), null, 2)}\n`;
    case 'cloudformation-yaml':
      return toYaml(cloudFormationTemplate(document, options) as unknown as Json);
    case 'terraform':
      return renderTerraform(document, options);
  }
}

// ---------------------------------------------------------------------------------------------
// YAML: block style, two-space indent. A string stays plain only when it is a simple word that
// no YAML 1.1 or 1.2 parser reads as anything else; all others are double-quoted (JSON escapes are
// valid YAML double-quoted escapes), so `${aws:username}`, `*`, `aws:...`, "43200", "true" and
// "2012-10-17" stay strings.

const YAML_WORDS = new Set(['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']);

export function yamlString(text: string): string {
  if (/^[A-Za-z][A-Za-z0-9]*$/.test(text) && !YAML_WORDS.has(text.toLowerCase())) return text;
  // JSON leaves DEL and the C1 controls raw; YAML wants them escaped.
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function yamlScalar(value: Json): string {
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: cannot write ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return '[]';
  return '{}';
}

const isNonEmptyCollection = (v: Json): v is Json[] | { [key: string]: Json } =>
  typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);

function yamlBlock(value: Json[] | { [key: string]: Json }, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isNonEmptyCollection(item)) return [`${pad}- ${yamlScalar(item)}`];
      const [first, ...rest] = yamlBlock(item, indent + 2);
      return [`${pad}- ${first!.slice(indent + 2)}`, ...rest];
    });
  }
  return Object.entries(value).flatMap(([key, item]) =>
    isNonEmptyCollection(item)
      ? [`${pad}${yamlString(key)}:`, ...yamlBlock(item, indent + 2)]
      : [`${pad}${yamlString(key)}: ${yamlScalar(item)}`],
  );
}

export function toYaml(value: Json): string {
  return isNonEmptyCollection(value) ? `${yamlBlock(value, 0).join('\n')}\n` : `${yamlScalar(value)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Terraform (HCL native syntax). The policy goes in as `jsonencode(<JSON>)`: a JSON value is a valid
// HCL expression, except that HCL interpolates `${` and `%{` inside strings, so those are written
// `$${` and `%%{` (HCL's escapes for a literal `${` / `%{`).

export function escapeHclTemplate(text: string): string {
  // (A function replacement: in a replacement string, `$$` would mean one `$`.)
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

export function hclString(text: string): string {
  const escaped = text.replace(/[\\"\n\r\t]|[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escapeHclTemplate(escaped)}"`;
}

export function renderTerraform(document: PolicyDocument, options: RenderOptions & { description: string }): string {
  const name = checkName(options.name ?? DEFAULT_NAME);
  const description = checkDescription(options.description);
  const json = escapeHclTemplate(JSON.stringify(document, null, 2)).replace(/\n/g, '\n  ');
  return [
    `resource "aws_iam_policy" ${hclString(name)} {`,
    `  name        = ${hclString(name)}`,
    `  description = ${hclString(description)}`,
    `  policy      = jsonencode(${json})`,
    '}',
    '',
  ].join('\n');
}
