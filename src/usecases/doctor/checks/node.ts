/** 8. node: a supported Node.js. */
import { result, type CheckResult } from '../check.js';

export const MIN_NODE_MAJOR = 20;

export function checkNode(version: string = process.versions.node): CheckResult {
  const major = Number.parseInt(version, 10);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR)
    return result('node', 'pass', `Node.js ${version} (${MIN_NODE_MAJOR} or later is supported)`);
  return result(
    'node',
    'fail',
    `Node.js ${version} is not supported: aws-mfa-refresh needs ${MIN_NODE_MAJOR} or later`,
    `Install Node.js ${MIN_NODE_MAJOR} or later (https://nodejs.org, or nvm install ${MIN_NODE_MAJOR}).`,
  );
}
