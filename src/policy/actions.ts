/**
 * The actions the MFA policy exempts, and a spelling check for every action name it prints.
 *
 * References:
 *  - IAM:  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 *  - STS:  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
 *  - all services: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 * Why each default is exempt, with the AWS pages that say so: README.md, "The MFA policy".
 */
import { ExitCode, UserError } from '../errors.js';

export const IAM_REFERENCE =
  'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html';
export const STS_REFERENCE =
  'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html';
export const ALL_SERVICES_REFERENCE =
  'https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html';

const IAM_API = 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_';
const STS_API = 'https://docs.aws.amazon.com/STS/latest/APIReference/API_';

export interface ExemptAction {
  action: string;
  /** The page that documents the action. */
  doc: string;
  /** Why a user without MFA must still be able to call it. */
  why: string;
}

/**
 * What an IAM user must be able to do before they have (fresh) MFA: register and enable a device,
 * see it, resync it, and set the password they sign in with. Everything else is denied.
 * Sorted; the policy prints them in this order.
 */
export const DEFAULT_EXEMPT_ACTIONS: readonly ExemptAction[] = [
  {
    action: 'iam:ChangePassword',
    doc: `${IAM_API}ChangePassword.html`,
    why: 'a new user (or one whose password expired) sets their password before they can sign in with MFA',
  },
  {
    action: 'iam:CreateVirtualMFADevice',
    doc: `${IAM_API}CreateVirtualMFADevice.html`,
    why: 'registering the first virtual MFA device happens, by definition, without MFA',
  },
  {
    action: 'iam:EnableMFADevice',
    doc: `${IAM_API}EnableMFADevice.html`,
    why: 'attaches the new device to the user; without it the device is useless',
  },
  {
    action: 'iam:GetAccountPasswordPolicy',
    doc: `${IAM_API}GetAccountPasswordPolicy.html`,
    why: 'the console needs it to show the Change password page (goes with iam:ChangePassword)',
  },
  {
    action: 'iam:GetMFADevice',
    doc: `${IAM_API}GetMFADevice.html`,
    why: "read-only view of the user's own device, part of AWS's self-manage-MFA example",
  },
  {
    action: 'iam:GetUser',
    doc: `${IAM_API}GetUser.html`,
    why: 'required to view most of the Security credentials page, where users set up MFA',
  },
  {
    action: 'iam:ListMFADevices',
    doc: `${IAM_API}ListMFADevices.html`,
    why: 'finds the device ARN to pass to GetSessionToken (aws-mfa-refresh calls it with long-term keys)',
  },
  {
    action: 'iam:ListUsers',
    doc: `${IAM_API}ListUsers.html`,
    why: "the IAM console lists users to reach the user's own page",
  },
  {
    action: 'iam:ListVirtualMFADevices',
    doc: `${IAM_API}ListVirtualMFADevices.html`,
    why: 'lets the user see details of their virtual MFA device (supports no resource ARN)',
  },
  {
    action: 'iam:ResyncMFADevice',
    doc: `${IAM_API}ResyncMFADevice.html`,
    why: 'a device whose clock drifted cannot produce a code that signs in, so resync must work without MFA',
  },
  {
    action: 'sts:GetSessionToken',
    doc: `${STS_API}GetSessionToken.html`,
    why: "needs no permission and policies cannot deny it; listed as in AWS's own examples, to make the MFA step obvious to readers",
  },
];

export const DEFAULT_ACTIONS: readonly string[] = DEFAULT_EXEMPT_ACTIONS.map((a) => a.action);

/** Actions that need no permission at all, so a Deny cannot block them (README: "Actions that need no permission at all"). */
export const PERMISSIONLESS_ACTIONS: readonly ExemptAction[] = [
  {
    action: 'sts:GetCallerIdentity',
    doc: `${STS_API}GetCallerIdentity.html`,
    why: 'No permissions are required; an explicit Deny on it has no effect.',
  },
  {
    action: 'sts:GetSessionToken',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getsessiontoken.html',
    why: 'No permissions are required; it is an authentication operation that policies cannot control.',
  },
];

/**
 * Exempting these would let someone holding only a user's access keys remove that user's MFA.
 * AWS: "Users that are not authenticated using MFA should never be allowed to delete their MFA device."
 */
export const RISKY_EXEMPTIONS: ReadonlyMap<string, string> = new Map([
  ['iam:DeactivateMFADevice', "lets a caller without MFA switch the user's MFA device off"],
  [
    'iam:DeleteVirtualMFADevice',
    "lets a caller without MFA delete the user's MFA device; AWS advises never to exempt it",
  ],
]);

/**
 * IAM actions, from the Service Authorization Reference ({@link IAM_REFERENCE}).
 * Each is documented at {@link actionDocUrl}: the IAM API reference page of the same name, or,
 * for the permission-only ones, the Service Authorization Reference.
 */
const IAM_ACTIONS = `
AddClientIDToOpenIDConnectProvider AddRoleToInstanceProfile AddUserToGroup AttachGroupPolicy AttachRolePolicy
AttachUserPolicy ChangePassword CreateAccessKey CreateAccountAlias CreateGroup CreateInstanceProfile
CreateLoginProfile CreateOpenIDConnectProvider CreatePolicy CreatePolicyVersion CreateRole CreateSAMLProvider
CreateServiceLinkedRole CreateServiceSpecificCredential CreateUser CreateVirtualMFADevice DeactivateMFADevice
DeleteAccessKey DeleteAccountAlias DeleteAccountPasswordPolicy DeleteCloudFrontPublicKey DeleteGroup
DeleteGroupPolicy DeleteInstanceProfile DeleteLoginProfile DeleteOpenIDConnectProvider DeletePolicy
DeletePolicyVersion DeleteRole DeleteRolePermissionsBoundary DeleteRolePolicy DeleteSAMLProvider DeleteSSHPublicKey
DeleteServerCertificate DeleteServiceLinkedRole DeleteServiceSpecificCredential DeleteSigningCertificate DeleteUser
DeleteUserPermissionsBoundary DeleteUserPolicy DeleteVirtualMFADevice DetachGroupPolicy DetachRolePolicy
DetachUserPolicy DisableOrganizationsRootCredentialsManagement DisableOrganizationsRootSessions EnableMFADevice
EnableOrganizationsRootCredentialsManagement EnableOrganizationsRootSessions GenerateCredentialReport
GenerateOrganizationsAccessReport GenerateServiceLastAccessedDetails GetAccessKeyLastUsed
GetAccountAuthorizationDetails GetAccountEmailAddress GetAccountName GetAccountPasswordPolicy GetAccountSummary
GetCloudFrontPublicKey GetContextKeysForCustomPolicy GetContextKeysForPrincipalPolicy GetCredentialReport GetGroup
GetGroupPolicy GetInstanceProfile GetLoginProfile GetMFADevice GetOpenIDConnectProvider GetOrganizationsAccessReport
GetPolicy GetPolicyVersion GetRole GetRolePolicy GetSAMLProvider GetSSHPublicKey GetServerCertificate
GetServiceLastAccessedDetails GetServiceLastAccessedDetailsWithEntities GetServiceLinkedRoleDeletionStatus GetUser
GetUserPolicy ListAccessKeys ListAccountAliases ListAttachedGroupPolicies ListAttachedRolePolicies
ListAttachedUserPolicies ListCloudFrontPublicKeys ListEntitiesForPolicy ListGroupPolicies ListGroups
ListGroupsForUser ListInstanceProfileTags ListInstanceProfiles ListInstanceProfilesForRole ListMFADeviceTags
ListMFADevices ListOpenIDConnectProviderTags ListOpenIDConnectProviders ListOrganizationsFeatures ListPolicies
ListPoliciesGrantingServiceAccess ListPolicyTags ListPolicyVersions ListRolePolicies ListRoleTags ListRoles
ListSAMLProviderTags ListSAMLProviders ListSSHPublicKeys ListSTSRegionalEndpointsStatus ListServerCertificateTags
ListServerCertificates ListServiceSpecificCredentials ListSigningCertificates ListUserPolicies ListUserTags ListUsers
ListVirtualMFADevices PassRole PutGroupPolicy PutRolePermissionsBoundary PutRolePolicy PutUserPermissionsBoundary
PutUserPolicy RemoveClientIDFromOpenIDConnectProvider RemoveRoleFromInstanceProfile RemoveUserFromGroup
ResetServiceSpecificCredential ResyncMFADevice SetDefaultPolicyVersion SetSTSRegionalEndpointStatus
SetSecurityTokenServicePreferences SimulateCustomPolicy SimulatePrincipalPolicy TagInstanceProfile TagMFADevice
TagOpenIDConnectProvider TagPolicy TagRole TagSAMLProvider TagServerCertificate TagUser UntagInstanceProfile
UntagMFADevice UntagOpenIDConnectProvider UntagPolicy UntagRole UntagSAMLProvider UntagServerCertificate UntagUser
UpdateAccessKey UpdateAccountEmailAddress UpdateAccountName UpdateAccountPasswordPolicy UpdateAssumeRolePolicy
UpdateCloudFrontPublicKey UpdateGroup UpdateLoginProfile UpdateOpenIDConnectProviderThumbprint UpdateRole
UpdateRoleDescription UpdateSAMLProvider UpdateSSHPublicKey UpdateServerCertificate UpdateServiceSpecificCredential
UpdateSigningCertificate UpdateUser UploadCloudFrontPublicKey UploadSSHPublicKey UploadServerCertificate
UploadSigningCertificate
`;

/** IAM actions that are not API operations ("permission only" or console-only): documented in {@link IAM_REFERENCE}. */
const IAM_REFERENCE_ONLY = new Set(
  `PassRole DeleteCloudFrontPublicKey GetCloudFrontPublicKey ListCloudFrontPublicKeys UpdateCloudFrontPublicKey
  UploadCloudFrontPublicKey ListSTSRegionalEndpointsStatus SetSTSRegionalEndpointStatus GetAccountEmailAddress
  GetAccountName UpdateAccountEmailAddress UpdateAccountName`.split(/\s+/),
);

/** STS actions, from {@link STS_REFERENCE}. */
const STS_ACTIONS = `
AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity AssumeRoot DecodeAuthorizationMessage GetAccessKeyInfo
GetCallerIdentity GetFederationToken GetServiceBearerToken GetSessionToken SetContext SetSourceIdentity TagSession
`;
const STS_REFERENCE_ONLY = new Set(['GetServiceBearerToken', 'SetContext', 'SetSourceIdentity', 'TagSession']);

const words = (text: string) => text.trim().split(/\s+/);

/** Known action names (without prefix) of the services whose every action this module knows. */
export const KNOWN_ACTIONS: Readonly<Record<'iam' | 'sts', readonly string[]>> = {
  iam: words(IAM_ACTIONS),
  sts: words(STS_ACTIONS),
};

/** Service prefixes, from the Service Authorization Reference ({@link ALL_SERVICES_REFERENCE}). */
export const SERVICE_PREFIXES: ReadonlySet<string> = new Set(
  words(`
a2c a4b access-analyzer account acm acm-pca activate aiops airflow amplify amplifybackend amplifyuibuilder aoss
apigateway app-integrations appconfig appfabric appflow application-autoscaling application-cost-profiler
application-signals application-transformation applicationinsights appmesh appmesh-preview apprunner appstream
appstudio appsync apptest aps arc-zonal-shift arsenal artifact athena auditmanager autoscaling autoscaling-plans
aws-marketplace aws-marketplace-management aws-portal awsconnector b2bi backup backup-gateway backup-search
backup-storage batch bcm-data-exports bcm-pricing-calculator bedrock billing billingconductor braket budgets bugbust
cases cassandra ce chatbot chime cleanrooms cleanrooms-ml cloud9 clouddirectory cloudformation cloudfront
cloudfront-keyvaluestore cloudhsm cloudsearch cloudshell cloudtrail cloudtrail-data cloudwatch codeartifact
codebuild codecatalyst codecommit codeconnections codedeploy codedeploy-commands-secure codeguru codeguru-profiler
codeguru-reviewer codeguru-security codepipeline codestar codestar-connections codestar-notifications codewhisperer
cognito-identity cognito-idp cognito-sync comprehend comprehendmedical compute-optimizer config connect
connect-campaigns consoleapp consolidatedbilling controlcatalog controltower cost-optimization-hub cur
customer-verification databrew dataexchange datapipeline datasync datazone dax dbqms deadline deepcomposer deeplens
deepracer detective devicefarm devops-guru directconnect discovery dlm dms docdb-elastic drs ds ds-data dsql
dynamodb ebs ec2 ec2-instance-connect ec2messages ecr ecr-public ecs eks eks-auth elasticache elasticbeanstalk
elasticfilesystem elasticloadbalancing elasticmapreduce elastictranscoder elemental-activations
elemental-appliances-software elemental-support-cases elemental-support-content emr-containers emr-serverless
entityresolution es events evidently execute-api finspace finspace-api firehose fis fms forecast frauddetector
freertos freetier fsx gamelift geo geo-maps geo-places geo-routes glacier globalaccelerator glue grafana greengrass
groundstation groundtruthlabeling guardduty health healthlake honeycode iam identity-sync identitystore
identitystore-auth imagebuilder importexport inspector inspector-scan inspector2 internetmonitor invoicing iot
iot-device-tester iotanalytics iotdeviceadvisor iotevents iotfleethub iotfleetwise iotjobsdata iotsitewise
iottwinmaker iotwireless iq iq-permission ivs ivschat kafka kafka-cluster kafkaconnect kendra kendra-ranking kinesis
kinesisanalytics kinesisvideo kms lakeformation lambda launchwizard lex license-manager
license-manager-linux-subscriptions license-manager-user-subscriptions lightsail logs lookoutequipment
lookoutmetrics lookoutvision m2 machinelearning macie2 managedblockchain managedblockchain-query mapcredits
marketplacecommerceanalytics mechanicalturk mediaconnect mediaconvert mediaimport medialive mediapackage
mediapackage-vod mediapackagev2 mediastore mediatailor medical-imaging memorydb mgh mgn migrationhub-orchestrator
migrationhub-strategy mobileanalytics mobiletargeting monitron mq neptune-db neptune-graph network-firewall
networkflowmonitor networkmanager networkmanager-chat networkmonitor nimble notifications notifications-contacts oam
observabilityadmin omics one opensearch opsworks opsworks-cm organizations osis outposts panorama partnercentral
partnercentral-account-management payment-cryptography payments pca-connector-ad pca-connector-scep pcs personalize
pi pipes polly pricing private-networks profile proton purchase-orders q qapps qbusiness qldb quicksight ram rbin
rds rds-data rds-db redshift redshift-data redshift-serverless refactor-spaces rekognition repostspace
resiliencehub resource-explorer resource-explorer-2 resource-groups rhelkb robomaker rolesanywhere route53
route53-recovery-cluster route53-recovery-control-config route53-recovery-readiness route53domains route53profiles
route53resolver rum s3 s3-object-lambda s3-outposts s3express s3tables sagemaker sagemaker-data-science-assistant
sagemaker-geospatial sagemaker-groundtruth-synthetic sagemaker-mlflow savingsplans scheduler schemas scn sdb
secretsmanager security-ir securityhub securitylake serverlessrepo servicecatalog servicediscovery serviceextract
servicequotas ses shield signer signin simspaceweaver sms sms-voice snow-device-management snowball sns
social-messaging sqlworkbench sqs ssm ssm-contacts ssm-guiconnect ssm-incidents ssm-quicksetup ssm-sap ssmmessages
sso sso-directory sso-oauth states storagegateway sts support supportapp supportplans supportrecommendations
sustainability swf synthetics tag tax textract thinclient timestream timestream-influxdb tiros tnb transcribe
transfer translate trustedadvisor ts user-subscriptions vendor-insights verified-access verifiedpermissions voiceid
vpc-lattice vpc-lattice-svcs vpce waf waf-regional wafv2 wam wellarchitected wickr wisdom workdocs worklink workmail
workmailmessageflow workspaces workspaces-web xray
`),
);

/** The page that documents a known iam: or sts: action; the service's reference page for a pattern. */
export function actionDocUrl(action: string): string {
  const [service, name = ''] = action.split(':');
  const wild = /[*?]/.test(name);
  if (service === 'iam') return wild || IAM_REFERENCE_ONLY.has(name) ? IAM_REFERENCE : `${IAM_API}${name}.html`;
  if (service === 'sts') return wild || STS_REFERENCE_ONLY.has(name) ? STS_REFERENCE : `${STS_API}${name}.html`;
  return ALL_SERVICES_REFERENCE;
}

const SERVICE_NAMES: Record<string, string> = { iam: 'IAM', sts: 'STS' };

/**
 * Checks one action name and returns it in its documented spelling.
 * `service:Action`: a known service prefix (lower case), an action in PascalCase; iam: and sts: actions
 * must be known ones, and a wildcard (`iam:List*`) must match at least one. Throws a usage error that
 * names the action and suggests the closest known spelling.
 */
export function checkAction(input: string, source = '--allow'): string {
  const text = input.trim();
  const fail = (why: string, suggestion?: string, link = ALL_SERVICES_REFERENCE): never => {
    const hint = suggestion ? `Did you mean ${suggestion}? Actions: ${link}` : `Actions: ${link}`;
    throw new UserError(`${source} ${JSON.stringify(input)} ${why}`, ExitCode.Usage, hint);
  };
  const match = /^([^:\s]+):([^:\s]+)$/.exec(text);
  if (!match) return fail('is not an action: write service:Action, e.g. iam:GetUser.');
  const [, rawService, rawName] = match as unknown as [string, string, string];
  const service = rawService.toLowerCase();
  if (!SERVICE_PREFIXES.has(service)) {
    const near = closest(service, [...SERVICE_PREFIXES]);
    return fail(`has an unknown service prefix "${rawService}".`, near && `${near}:${rawName}`);
  }
  if (rawService !== service) return fail('has an upper-case service prefix.', `${service}:${rawName}`);
  if (!/^[A-Za-z0-9*?]+$/.test(rawName)) return fail('has characters no action name has.');
  if (/^[*?]+$/.test(rawName)) {
    return fail(
      `would exempt every ${service} action from the MFA requirement.`,
      undefined,
      actionDocUrl(`${service}:*`),
    );
  }
  const known = service === 'iam' || service === 'sts' ? KNOWN_ACTIONS[service] : undefined;
  if (!known) {
    if (/^[a-z]/.test(rawName))
      return fail('is not PascalCase.', `${service}:${rawName[0]!.toUpperCase()}${rawName.slice(1)}`);
    return `${service}:${rawName}`;
  }
  const label = `${SERVICE_NAMES[service]} action`;
  const link = actionDocUrl(`${service}:*`);
  if (/[*?]/.test(rawName)) {
    const exact = wildcard(rawName, '');
    if (known.some((a) => exact.test(a))) return `${service}:${rawName}`;
    const loose = wildcard(rawName, 'i');
    const hit = known.find((a) => loose.test(a));
    if (hit) return fail('is not spelled as AWS documents it.', `${service}:${recase(rawName, hit)}`, link);
    const literal = rawName.slice(0, rawName.search(/[*?]/));
    const prefixes = [...new Set(known.map((a) => a.slice(0, literal.length)))];
    const near = closest(literal, prefixes);
    return fail(`matches no ${label}.`, near && `${service}:${near}${rawName.slice(literal.length)}`, link);
  }
  if (known.includes(rawName)) return `${service}:${rawName}`;
  const sameLetters = known.find((a) => a.toLowerCase() === rawName.toLowerCase());
  if (sameLetters) return fail('is not spelled as AWS documents it.', `${service}:${sameLetters}`, link);
  const near = closest(rawName, known);
  return fail(`is not a known ${label}.`, near && `${service}:${near}`, link);
}

/** The defaults plus extra actions: each checked, deduplicated (case-insensitively, as IAM compares them), sorted. */
export function exemptActions(extra: readonly string[] = [], source = '--allow'): string[] {
  const byKey = new Map<string, string>();
  for (const action of DEFAULT_ACTIONS) byKey.set(action.toLowerCase(), checkAction(action, 'default action'));
  for (const action of extra) {
    const checked = checkAction(action, source);
    if (!byKey.has(checked.toLowerCase())) byKey.set(checked.toLowerCase(), checked);
  }
  return [...byKey.values()].sort(byCodePoint);
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[*?]/g, (c) => (c === '*' ? '.*' : '.'));
  return new RegExp(`^${body}$`, flags);
}

/** `pattern` with its letters in the case `hit` spells them (wildcards kept); `hit` matches it case-insensitively. */
function recase(pattern: string, hit: string): string {
  const parts = pattern.split('*');
  let from = 0;
  return parts
    .map((part, i) => {
      let start = from;
      if (i === parts.length - 1 && i > 0) start = hit.length - part.length;
      else if (i > 0) start = from + hit.slice(from).search(new RegExp(part.replace(/\?/g, '.'), 'i'));
      from = start + part.length;
      return [...part].map((c, k) => (c === '?' ? c : (hit[start + k] ?? c))).join('');
    })
    .join('*');
}

/** The candidate nearest to `word` by edit distance (case-insensitive), if it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(w, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(w.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
