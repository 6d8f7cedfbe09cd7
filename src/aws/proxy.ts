/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case forms), which the AWS SDK for
 * JavaScript does not read by itself on Node 20. Loaded only when such a variable is set.
 */
export interface ProxyAgents {
  httpAgent?: import('node:http').Agent;
  httpsAgent?: import('node:https').Agent;
  proxy: string;
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((k) => env[k]);
}

/** Agents that tunnel through the proxy the environment names for this URL, if any. */
export async function proxyAgentsFor(url: string): Promise<ProxyAgents | undefined> {
  if (!proxyConfigured()) return undefined;
  const { getProxyForUrl } = commonJs(await import('proxy-from-env'));
  const proxy = getProxyForUrl(url);
  if (!proxy) return undefined; // NO_PROXY matched
  if (url.startsWith('https:')) {
    const { HttpsProxyAgent } = commonJs(await import('https-proxy-agent'));
    return { proxy, httpsAgent: new HttpsProxyAgent(proxy, { keepAlive: true }) };
  }
  const { HttpProxyAgent } = commonJs(await import('http-proxy-agent'));
  return { proxy, httpAgent: new HttpProxyAgent(proxy, { keepAlive: true }) };
}

/** These packages are CommonJS: once bundled, their exports may sit on `default` only. */
function commonJs<T extends object>(mod: T): T {
  const inner = (mod as { default?: T }).default;
  return inner && typeof inner === 'object' ? { ...inner, ...mod } : mod;
}

/** A proxy URL without its credentials, for messages. */
export function redactProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the proxy';
  }
}
