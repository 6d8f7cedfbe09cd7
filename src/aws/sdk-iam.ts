/** The IAM names this tool uses (device discovery); evaluated only when a device must be discovered. */
export { IAMClient, ListMFADevicesCommand } from '@aws-sdk/client-iam';
