/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case forms), which the AWS SDK for
 * JavaScript does not read by itself on Node 20. Loaded only when such a variable is set.
 */
export interface ProxyAgents {
  httpAgent?: import('node:http').Agent;
  httpsAgent?: import('node:https').Agent;
  proxy: string;
  /** The variable that named the proxy (HTTPS_PROXY, http_proxy, ...), for messages. */
  variable: string;
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((k) => env[k]);
}

/**
 * Agents that tunnel through the proxy the environment names for this URL, if any. `ca` (a CA
 * bundle's PEM text) is the trust store for the TLS connection to AWS through the tunnel.
 */
export async function proxyAgentsFor(url: string, ca?: string): Promise<ProxyAgents | undefined> {
  if (!proxyConfigured()) return undefined;
  const picked = pickProxy(url);
  if (!picked) return undefined; // NO_PROXY matched
  const { proxy, variable } = picked;
  if (url.startsWith('https:')) {
    const { HttpsProxyAgent } = commonJs(await import('https-proxy-agent'));
    return { proxy, variable, httpsAgent: new HttpsProxyAgent(proxy, { keepAlive: true, ...(ca && { ca }) }) };
  }
  const { HttpProxyAgent } = commonJs(await import('http-proxy-agent'));
  return { proxy, variable, httpAgent: new HttpProxyAgent(proxy, { keepAlive: true }) };
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * The proxy for a URL by the usual conventions (curl's, and the proxy-from-env package's, which
 * uses the deprecated url.parse): HTTPS_PROXY for https, HTTP_PROXY for http, ALL_PROXY as a
 * fallback, lower case first; none when NO_PROXY matches (`*`, a host, `.domain` / `*.domain`
 * suffixes, with an optional `:port`).
 */
export function proxyForUrl(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return pickProxy(url, env)?.proxy;
}

/** proxyForUrl, with the name of the variable it came from. */
export function pickProxy(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): { proxy: string; variable: string } | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = target.protocol.replace(':', '');
  const pick = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()];
  const nameOf = (name: string) => (env[name.toLowerCase()] ? name.toLowerCase() : name.toUpperCase());
  const variable = pick(`${scheme}_proxy`) ? nameOf(`${scheme}_proxy`) : nameOf('all_proxy');
  let proxy = pick(`${scheme}_proxy`) || pick('all_proxy');
  if (!proxy) return undefined;
  if (!proxy.includes('://')) proxy = `${scheme}://${proxy}`;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || DEFAULT_PORTS[target.protocol] || '';
  const noProxy = (pick('no_proxy') || '').toLowerCase();
  for (const raw of noProxy.split(/[,\s]+/).filter(Boolean)) {
    if (raw === '*') return undefined;
    // A bare IPv6 address has colons of its own; a port follows only `host` or `[v6]`.
    const m = (
      raw.split(':').length > 2 && !raw.startsWith('[') ? [raw, raw, undefined] : /^(.*?)(?::(\d+))?$/.exec(raw)
    )!;
    const entryHost = m[1]!.replace(/^\*/, '').replace(/^\[|\]$/g, '');
    if (m[2] && m[2] !== port) continue;
    if (
      entryHost.startsWith('.')
        ? host.endsWith(entryHost) || host === entryHost.slice(1)
        : host === entryHost || host.endsWith(`.${entryHost}`)
    )
      return undefined;
  }
  return { proxy, variable };
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
