// The floor for "one STS call from Node": import the SDK client, make one GetSessionToken call.
// Inputs come from the environment so that nothing secret is on the command line.
import { STSClient, GetSessionTokenCommand } from '@aws-sdk/client-sts';

const client = new STSClient({
  region: 'us-east-1',
  endpoint: process.env.BENCH_ENDPOINT,
  credentials: { accessKeyId: process.env.BENCH_KEY_ID, secretAccessKey: process.env.BENCH_SECRET },
});
const out = await client.send(
  new GetSessionTokenCommand({
    SerialNumber: process.env.BENCH_SERIAL,
    TokenCode: process.env.BENCH_CODE,
    DurationSeconds: 43200,
  }),
);
if (!out.Credentials?.AccessKeyId) process.exit(1);
