/**
 * The AWS SDK names this tool uses, and only those: the build bundles this module on its own
 * (dist/vendor/aws-sdk.cjs), tree-shaken to these names, and loads it on the first AWS call.
 * IAM is needed only to discover a device: it is evaluated on first use.
 */
export { STSClient, GetCallerIdentityCommand, GetSessionTokenCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';

export const loadIam = () => import('./sdk-iam.js');
