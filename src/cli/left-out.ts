/**
 * dist/hot.cjs (see entry.ts) has, in place of each module it leaves out, a module that fails to
 * load with this mark (scripts/build.mjs writes them). Loading it is the first thing any path that
 * needs such a module does (they are all loaded with import()), so a command that gets here has
 * written nothing yet.
 */
export function isLeftOut(error: unknown): boolean {
  return typeof error === 'object' && error !== null && Symbol.for('aws-mfa-refresh.left-out') in error;
}
