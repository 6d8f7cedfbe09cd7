/**
 * State shared by every bundle in the process. After dist/hot.cjs hands a command line over,
 * dist/cli.cjs runs with module instances of its own: what both must see lives on `process`, under
 * a registered symbol, created by whichever asks first.
 */
export function processWide<T>(name: string, create: () => T): T {
  const holder = process as unknown as Record<symbol, T | undefined>;
  return (holder[Symbol.for(`aws-mfa-refresh.${name}`)] ??= create());
}
