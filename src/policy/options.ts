/** What `policy`'s flags need at definition time; kept apart so that defining them loads nothing heavy. */
export const FORMATS = ['json', 'cloudformation-yaml', 'cloudformation-json', 'terraform'] as const;
export type Format = (typeof FORMATS)[number];

/** CloudFormation logical id and ManagedPolicyName; Terraform resource name and `name`. */
export const DEFAULT_NAME = 'MfaEnforcement';
