/** Injected by the bundler (scripts/build.mjs) from package.json; a dev placeholder otherwise. */
declare const AWS_MFA_REFRESH_VERSION: string | undefined;
export const VERSION: string = typeof AWS_MFA_REFRESH_VERSION === 'string' ? AWS_MFA_REFRESH_VERSION : '0.0.0-dev';
