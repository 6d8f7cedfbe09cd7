export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SessionCredentials extends Required<AwsCredentials> {
  expiration: Date;
}

export interface MfaDevice {
  serialNumber: string;
  userName?: string;
  enableDate?: Date;
  /** virtual (TOTP app), hardware (TOTP token) or passkey (FIDO; unusable with GetSessionToken) */
  kind: 'virtual' | 'hardware' | 'passkey';
}

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface AwsConnection {
  credentials: AwsCredentials;
  region: string;
  /** Explicit endpoint; when absent the SDK applies AWS_ENDPOINT_URL_STS / _IAM / AWS_ENDPOINT_URL. */
  endpoint?: string;
  timeoutMs: number;
  /** sts_regional_endpoints = legacy: use the global STS endpoint for us-east-1. */
  useGlobalEndpoint?: boolean;
  /** Show a progress line on stderr (a terminal only) while a call takes more than a moment. */
  progress?: boolean;
  /** Where the credentials came from, for error messages. */
  profileName: string;
  /** A CA bundle (PEM file) to trust instead of Node's roots, as AWS_CA_BUNDLE / ca_bundle do for the AWS CLI. */
  caBundle?: { path: string; from: string };
}

export function deviceKind(serialNumber: string): MfaDevice['kind'] {
  if (/^arn:[^:]+:iam::\d+:u2f\//.test(serialNumber)) return 'passkey';
  if (/^arn:[^:]+:iam::\d+:mfa\//.test(serialNumber)) return 'virtual';
  return 'hardware';
}
