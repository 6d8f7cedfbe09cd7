/** The IAM names this tool uses (device discovery, key rotation); evaluated only when IAM is called. */
export {
  IAMClient,
  ListMFADevicesCommand,
  ListAccessKeysCommand,
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
} from '@aws-sdk/client-iam';
