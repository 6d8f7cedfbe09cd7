import { describe, expect, it } from 'vitest';
import { proxyForUrl } from '../../src/aws/proxy.js';

describe('proxyForUrl', () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'proxy2:8080' };
  it('picks the proxy by scheme, lower case first, adding a missing scheme', () => {
    expect(proxyForUrl('https://sts.us-east-1.amazonaws.com', env)).toBe('http://proxy:3128');
    expect(proxyForUrl('http://127.0.0.1:9000/', env)).toBe('http://proxy2:8080');
    expect(proxyForUrl('https://x', { https_proxy: 'http://a', HTTPS_PROXY: 'http://b' })).toBe('http://a');
    expect(proxyForUrl('https://x', { ALL_PROXY: 'http://all' })).toBe('http://all');
    expect(proxyForUrl('https://x', {})).toBeUndefined();
  });
  it('honours NO_PROXY: *, hosts, domain suffixes, ports, IPs', () => {
    const url = 'https://sts.us-east-1.amazonaws.com';
    expect(proxyForUrl(url, { ...env, NO_PROXY: '*' })).toBeUndefined();
    expect(proxyForUrl(url, { ...env, NO_PROXY: 'amazonaws.com' })).toBeUndefined();
    expect(proxyForUrl(url, { ...env, NO_PROXY: '.amazonaws.com' })).toBeUndefined();
    expect(proxyForUrl(url, { ...env, no_proxy: 'localhost, *.amazonaws.com' })).toBeUndefined();
    expect(proxyForUrl(url, { ...env, NO_PROXY: 'amazonaws.com:80' })).toBe('http://proxy:3128');
    expect(proxyForUrl(url, { ...env, NO_PROXY: 'amazonaws.com:443' })).toBeUndefined();
    expect(proxyForUrl(url, { ...env, NO_PROXY: 'zonaws.com' })).toBe('http://proxy:3128');
    expect(proxyForUrl('http://127.0.0.1:9000', { ...env, NO_PROXY: '127.0.0.1' })).toBeUndefined();
    expect(proxyForUrl('http://[::1]:9000', { ...env, NO_PROXY: '::1' })).toBeUndefined();
  });
});
