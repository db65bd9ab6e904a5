import { describe, expect, it } from 'vitest';
import {
  decodeCredentialProviderResponse,
  filepathMatch,
  lookupAuth,
  parseGoDuration,
  parseSchemelessURL,
  providerMatchesImage,
  urlsMatch,
  urlsMatchStr,
  validateCredentialProviderConfig,
  type AuthConfig,
} from './rules.js';
import { expectKubeletAccepts } from '../../test/support/kubelet-rules.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const V1BETA1 = 'credentialprovider.kubelet.k8s.io/v1beta1';
const V1ALPHA1 = 'credentialprovider.kubelet.k8s.io/v1alpha1';
const HOST = 'registry-vpc.cn-hangzhou.aliyuncs.com';
const IMAGE = `${HOST}/team/app`;

/** A response as a plugin would print it; `fields` are spliced in verbatim so tests can break the JSON. */
const response = (fields = `"cacheKeyType":"Registry","cacheDuration":"5m0s","auth":{"${HOST}":{"username":"u","password":"p"}}`, apiVersion = V1): string =>
  `{"kind":"CredentialProviderResponse","apiVersion":"${apiVersion}",${fields}}\n`;

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['5m0s', 300_000],
    ['300s', 300_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['0s', 0],
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['-1m', -60_000],
    ['+5s', 5_000],
    ['.5s', 500],
    ['1.s', 1_000],
    ['1h1h', 7_200_000],
    ['1ns', 0.000001],
    ['1us', 0.001],
    ['1µs', 0.001], // U+00B5
    ['1μs', 0.001], // U+03BC
    ['6h0m0s', 21_600_000],
    ['21600s', 21_600_000],
    ['9223372036854775807ns', 9223372036854.775],
    ['-9223372036854775808ns', -9223372036854.775],
    ['2562047h47m16.854775807s', 9223372036854.775],
  ])('accepts %j as %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each([
    ['', /invalid duration/],
    ['1d', /unknown unit "d"/],
    ['5min', /unknown unit "min"/],
    ['PT5M', /invalid duration/],
    ['5 m', /unknown unit " m"/],
    ['300', /missing unit/],
    ['1.5', /missing unit/],
    ['m', /invalid duration/],
    ['.s', /invalid duration/],
    ['-', /invalid duration/],
    [' 5s', /invalid duration/],
    ['5s ', /unknown unit "s "/],
    ['1e3s', /unknown unit "e"/],
    ['5S', /unknown unit "S"/],
    ['9223372036854775808ns', /invalid duration/],
    ['2562047h47m16.854775808s', /invalid duration/],
    ['3000000h', /invalid duration/],
  ])('rejects %j', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });
});

describe('decodeCredentialProviderResponse', () => {
  it('accepts a well-formed response and types it', () => {
    expect(decodeCredentialProviderResponse(response(), V1)).toEqual({
      ok: true,
      response: {
        kind: 'CredentialProviderResponse',
        apiVersion: V1,
        cacheKeyType: 'Registry',
        cacheDurationMs: 300_000,
        auth: { [HOST]: { username: 'u', password: 'p' } },
      },
    });
  });

  it.each([
    ['"5m0s"', 300_000],
    ['"300s"', 300_000],
    ['"1.5h"', 5_400_000],
    ['"0"', 0],
    ['"0s"', 0],
    ['"-1m"', -60_000],
    ['"5\\u006d"', 300_000],
  ])('accepts cacheDuration %s', (duration, ms) => {
    const result = decodeCredentialProviderResponse(response(`"cacheKeyType":"Image","cacheDuration":${duration}`), V1);
    expect(result).toMatchObject({ ok: true, response: { cacheDurationMs: ms } });
  });

  it.each([['300'], ['""'], ['"5min"'], ['"1d"'], ['"PT5M"'], ['"5 m"'], ['true'], ['{}'], ['["5m"]']])('rejects cacheDuration %s', (duration) => {
    const result = decodeCredentialProviderResponse(response(`"cacheKeyType":"Image","cacheDuration":${duration}`), V1);
    expect(result.ok).toBe(false);
  });

  it.each([
    ['absent', '"cacheKeyType":"Global"'],
    ['null', '"cacheKeyType":"Global","cacheDuration":null'],
  ])('treats a cacheDuration that is %s as "use defaultCacheDuration"', (_, fields) => {
    const result = decodeCredentialProviderResponse(response(fields), V1);
    expect(result.ok && 'cacheDurationMs' in result.response).toBe(false);
    expect(result.ok).toBe(true);
  });

  it.each([
    ['absent', '"cacheKeyType":"Image"'],
    ['null', '"cacheKeyType":"Image","auth":null'],
    ['empty', '"cacheKeyType":"Image","auth":{}'],
  ])('treats auth that is %s as no credentials', (_, fields) => {
    expect(decodeCredentialProviderResponse(response(fields), V1)).toMatchObject({ ok: true, response: { auth: {} } });
  });

  it('decodes null entries and fields as empty strings, as Go leaves zero values', () => {
    const result = decodeCredentialProviderResponse(response('"cacheKeyType":"Image","auth":{"a.io":null,"b.io":{"username":null,"password":"p"}}'), V1);
    expect(result).toMatchObject({
      ok: true,
      response: { auth: { 'a.io': { username: '', password: '' }, 'b.io': { username: '', password: 'p' } } },
    });
  });

  it('keeps an auth key named __proto__ as an ordinary entry', () => {
    const result = decodeCredentialProviderResponse(response('"cacheKeyType":"Image","auth":{"__proto__":{"username":"u","password":"p"}}'), V1);
    expect(result.ok && Object.keys(result.response.auth)).toEqual(['__proto__']);
  });

  it.each([
    ['with surrounding whitespace', ` \r\n\t${response()}\n\n`, V1],
    ['for v1beta1', response(undefined, V1BETA1), V1BETA1],
    ['for v1alpha1', response(undefined, V1ALPHA1), V1ALPHA1],
    ['with HTML-escaped characters', response('"cacheKeyType":"Image","auth":{"a.io":{"username":"\\u003cu\\u003e","password":"p\\u0026"}}'), V1],
    ['with fields in any order', `{"auth":{},"cacheKeyType":"Image","apiVersion":"${V1}","kind":"CredentialProviderResponse"}`, V1],
  ])('accepts output %s', (_, stdout, apiVersion) => {
    expect(decodeCredentialProviderResponse(stdout, apiVersion).ok).toBe(true);
  });

  it.each([
    ['empty stdout', '', /unexpected end of JSON input/],
    ['a trailing log line', `${response()}fetched token for ${HOST}\n`, /after top-level value/],
    ['a leading log line', `INFO starting\n${response()}`, /looking for beginning of value/],
    ['a BOM', `\uFEFF${response()}`, /looking for beginning of value/],
    ['two JSON values', `${response()}${response()}`, /after top-level value/],
    ['YAML', `kind: CredentialProviderResponse\napiVersion: ${V1}\ncacheKeyType: Image\n`, /looking for beginning of value/],
    ['a JSON array', `[${response()}]`, /cannot unmarshal array/],
    ['null', 'null', /did not match expected apiVersion/],
    ['a raw control character in a string', response('"cacheKeyType":"Im\tage"'), /in string literal/],
    ['a trailing comma', response('"cacheKeyType":"Image",'), /looking for beginning of object key string/],
    ['a different apiVersion', response(undefined, V1BETA1), /did not match expected apiVersion/],
    ['no apiVersion', '{"kind":"CredentialProviderResponse","cacheKeyType":"Image"}', /did not match expected apiVersion/],
    ['a numeric apiVersion', '{"kind":"CredentialProviderResponse","apiVersion":1}', /cannot unmarshal number/],
    ['no kind', `{"apiVersion":"${V1}","cacheKeyType":"Image"}`, /Object 'Kind' is missing/],
    ['the request kind', `{"kind":"CredentialProviderRequest","apiVersion":"${V1}","cacheKeyType":"Image"}`, /no kind "CredentialProviderRequest"/],
    ['"metadata":{}', response('"metadata":{},"cacheKeyType":"Image"'), /unknown field "metadata"/],
    ['an unknown top-level field', response('"cacheKeyType":"Image","expiresAt":"2030-01-01T00:00:00Z"'), /unknown field "expiresAt"/],
    ['a duplicate "auth"', response('"cacheKeyType":"Image","auth":{},"auth":{}'), /duplicate field "auth"/],
    ['a duplicate "cacheKeyType"', response('"cacheKeyType":"Image","cacheKeyType":"Image"'), /duplicate field "cacheKeyType"/],
    ['a duplicate "kind"', response('"kind":"CredentialProviderResponse","cacheKeyType":"Image"'), /duplicate field "kind"/],
    ['a duplicate key spelled with an escape', response('"cacheKeyType":"Image","auth":{},"a\\u0075th":{}'), /duplicate field "auth"/],
    ['a duplicate auth key', response('"cacheKeyType":"Image","auth":{"a.io":{"username":"u","password":"p"},"a.io":{"username":"u","password":"p"}}'), /duplicate field "auth\[a.io\]"/],
    ['a duplicate "password" in an entry', response('"cacheKeyType":"Image","auth":{"a.io":{"username":"u","password":"p","password":"p"}}'), /duplicate field/],
    ['"Username"', response('"cacheKeyType":"Image","auth":{"a.io":{"Username":"u","password":"p"}}'), /unknown field .*Username.*case-sensitive/],
    ['"CacheKeyType"', response('"CacheKeyType":"Image"'), /unknown field "CacheKeyType"/],
    ['"Kind" instead of "kind"', `{"Kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Image"}`, /unknown field "Kind"/],
    ['a docker-config "auth" string in an entry', response('"cacheKeyType":"Image","auth":{"a.io":{"auth":"dTpw"}}'), /unknown field/],
    ['"email" in an entry', response('"cacheKeyType":"Image","auth":{"a.io":{"username":"u","password":"p","email":"e"}}'), /unknown field/],
    ['"identitytoken" in an entry', response('"cacheKeyType":"Image","auth":{"a.io":{"identitytoken":"t"}}'), /unknown field/],
    ['a numeric username', response('"cacheKeyType":"Image","auth":{"a.io":{"username":1,"password":"p"}}'), /cannot unmarshal number/],
    ['auth as an array', response('"cacheKeyType":"Image","auth":[]'), /cannot unmarshal array/],
    ['an auth entry that is a string', response('"cacheKeyType":"Image","auth":{"a.io":"u:p"}'), /cannot unmarshal string/],
    ['no cacheKeyType', response('"auth":{}'), /did not return a valid cacheKeyType: ""/],
    ['a null cacheKeyType', response('"cacheKeyType":null'), /did not return a valid cacheKeyType/],
    ['a lower-case cacheKeyType', response('"cacheKeyType":"registry"'), /did not return a valid cacheKeyType: "registry"/],
  ])('rejects %s', (_, stdout, message) => {
    const result = decodeCredentialProviderResponse(stdout, V1);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(message);
  });

  it('rejects the service account token echoed as a password unless cacheType is Token', () => {
    const stdout = response('"cacheKeyType":"Image","cacheDuration":"0s","auth":{"a.io":{"username":"sa","password":"jwt"}}');
    expect(decodeCredentialProviderResponse(stdout, V1, { serviceAccountToken: 'jwt', cacheType: 'ServiceAccount' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/service account token as the password/),
    });
    expect(decodeCredentialProviderResponse(stdout, V1, { serviceAccountToken: 'jwt', cacheType: 'Token' }).ok).toBe(true);
    expect(decodeCredentialProviderResponse(stdout, V1, { serviceAccountToken: 'other', cacheType: 'ServiceAccount' }).ok).toBe(true);
  });
});

describe('filepathMatch (Go path/filepath.Match test table)', () => {
  it.each([
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['*x', 'xxx', true],
    ['app*', 'app1', true],
    ['k8s', 'K8s', false],
  ])('%j matches %j: %s', (pattern, name, matched) => {
    expect(filepathMatch(pattern, name)).toBe(matched);
  });

  it.each([['[]a]'], ['[-]'], ['[x-]'], ['[-x]'], ['\\'], ['[a-b-c]'], ['['], ['[^'], ['[^bc'], ['a['], ['a/b[']])(
    'rejects the bad pattern %j even when the name already mismatches',
    (pattern) => {
      expect(() => filepathMatch(pattern, 'x')).toThrow('syntax error in pattern');
    },
  );
});

describe('urlsMatch (keyring.go URLsMatchStr)', () => {
  it.each([
    ['*.azurecr.io', 'foo.azurecr.io/x', true],
    ['*.azurecr.io', 'foo.bar.azurecr.io/x', false],
    ['*', 'a.b', false],
    ['*', 'localhost/x', true],
    ['*.*', 'a.b/c', true],
    ['registry.io:5000', 'registry.io/x', false],
    ['registry.io', 'registry.io:5000/x', false],
    ['registry.io:5000', 'registry.io:5000/x', true],
    ['registry.io:05000', 'registry.io:5000/x', false],
    ['registry.io/*', 'registry.io/foo', false],
    ['registry.io/team', 'registry.io/team-b/app', true],
    ['registry.io/team/', 'registry.io/team-b/app', false],
    ['registry.io/team', 'registry.io/other', false],
    ['*.registry.io/*', 'a.registry.io/x', false],
    ['*.*.registry.io', 'a.b.registry.io/c', true],
    ['app*.k8s.io', 'app1.k8s.io/x', true],
    ['k8s.*', 'k8s.io/x', true],
    ['*.k8s.io', 'k8s.io/x', false],
    ['Registry.io', 'registry.io/x', false],
    [HOST, IMAGE, true],
    ['*.aliyuncs.com', IMAGE, false],
    ['*.*.aliyuncs.com', IMAGE, true],
    ['*-registry.*.cr.aliyuncs.com', 'myinst-registry.cn-hangzhou.cr.aliyuncs.com/ns/app', true],
    ['registry.io:', 'registry.io/x', true],
    ['user@registry.io', 'registry.io/x', true],
    ['[::1]:5000', '[::1]:5000/x', true],
    // Bracketed hosts without a port keep the brackets, which filepath.Match reads as a class.
    ['[::1]', '[::1]/x', false],
  ])('%j vs %j: %s', (glob, target, matched) => {
    expect(urlsMatch(glob, target)).toBe(matched);
    expect(urlsMatchStr(glob, target)).toBe(matched);
  });

  it('cuts a "?" glob off as the start of a query, so it never spans a label', () => {
    expect(parseSchemelessURL('app?.k8s.io')).toEqual({ host: 'app', path: '' });
    expect(urlsMatch('app?.k8s.io', 'app1.k8s.io/x')).toBe(false);
    expect(urlsMatch('app?.k8s.io', 'app/x')).toBe(true);
  });

  it.each([
    ['registry.io:abc', /invalid port ":abc" after host/],
    ['a[bc].io', /invalid port ".io" after host/], // Go >= 1.24.8/1.25.2: "[" only for IPv6 literals
    ['[ab]', /invalid IP-literal/],
    ['[1.2.3.4]', /invalid IP-literal/],
    ['a^b.io', /invalid character "\^" in host name/],
    ['a\\.io', /invalid character "\\\\" in host name/],
    ['a b.io', /invalid character " " in host name/],
    ['registry.io/%zz', /invalid URL escape "%zz"/],
    ['a%41.io', /invalid URL escape "%41"/],
    ['registry.io/a\nb', /invalid control character/],
  ])('fails to parse %j, which therefore never matches', (glob, message) => {
    expect(() => urlsMatchStr(glob, 'registry.io/x')).toThrow(message);
    expect(urlsMatch(glob, 'registry.io/x')).toBe(false);
  });

  it('reports a bad glob pattern, which only an IPv6 zone can smuggle into a host label', () => {
    expect(() => urlsMatchStr('[fe80::1%25a-]', 'x')).toThrow('syntax error in pattern');
    expect(urlsMatch('[fe80::1%25a-]', 'x')).toBe(false);
  });

  it('never matches a target that does not parse', () => {
    expect(() => urlsMatchStr('*.io', 'registry.io/%zz')).toThrow(/invalid URL escape/);
    expect(urlsMatch('*.io', 'registry.io/%zz')).toBe(false);
  });

  it('compares decoded paths', () => {
    expect(urlsMatch('registry.io/a%20b', 'registry.io/a b/c')).toBe(true);
  });
});

describe('lookupAuth (BasicDockerKeyring.Add + Lookup)', () => {
  const cred = (username: string): AuthConfig => ({ username, password: `${username}-pw` });

  it('normalises keys as Add does', () => {
    const auth = {
      'https://a.io': cred('https'),
      'http://b.io/v2/': cred('v2'),
      'c.io/v1/team': cred('v1'),
      'd.io/': cred('slash'),
    };
    expect(lookupAuth(auth, 'a.io/x').map((c) => c.matchKey)).toEqual(['a.io']);
    expect(lookupAuth(auth, 'b.io/x').map((c) => c.matchKey)).toEqual(['b.io']);
    expect(lookupAuth(auth, 'c.io/team/x').map((c) => c.matchKey)).toEqual(['c.io/team']);
    expect(lookupAuth(auth, 'd.io/x').map((c) => c.matchKey)).toEqual(['d.io']);
  });

  it('returns every matching key in reverse lexical order', () => {
    const auth = { '*.io': cred('wild'), 'registry.io': cred('host'), 'registry.io/team': cred('team'), 'other.io': cred('other') };
    expect(lookupAuth(auth, 'registry.io/team/app')).toEqual([
      { authKey: 'registry.io/team', matchKey: 'registry.io/team', dockerHubFallback: false, ...cred('team') },
      { authKey: 'registry.io', matchKey: 'registry.io', dockerHubFallback: false, ...cred('host') },
      { authKey: '*.io', matchKey: '*.io', dockerHubFallback: false, ...cred('wild') },
    ]);
  });

  it('puts an Azure-style anonymous wildcard after the specific key', () => {
    const auth = { '*.azurecr.*': { username: '', password: '' }, 'myacr.azurecr.io': cred('acr') };
    expect(lookupAuth(auth, 'myacr.azurecr.io/app').map((c) => c.authKey)).toEqual(['myacr.azurecr.io', '*.azurecr.*']);
  });

  it('skips keys that do not parse', () => {
    expect(lookupAuth({ 'registry.io:abc': cred('bad') }, 'registry.io/x')).toEqual([]);
  });

  it('matches docker.io directly and index.docker.io only through the Docker Hub fallback', () => {
    expect(lookupAuth({ 'docker.io': cred('hub') }, 'docker.io/library/nginx')).toMatchObject([{ matchKey: 'docker.io', dockerHubFallback: false }]);
    const legacy = { 'https://index.docker.io/v1/': cred('legacy') };
    expect(lookupAuth(legacy, 'docker.io/library/nginx')).toMatchObject([{ matchKey: 'index.docker.io', dockerHubFallback: true }]);
    expect(lookupAuth(legacy, 'registry.io/x')).toEqual([]);
    // Any first component without "." or ":" counts as Docker Hub, localhost included.
    expect(lookupAuth(legacy, 'localhost/x')).toMatchObject([{ dockerHubFallback: true }]);
    expect(lookupAuth({ ...legacy, 'registry.io': cred('r') }, 'registry.io/x')).toMatchObject([{ matchKey: 'registry.io' }]);
  });

  it('does not match a key for another port or a glob path', () => {
    expect(lookupAuth({ 'registry.io': cred('r'), 'registry.io/*': cred('g') }, 'registry.io:5000/x')).toEqual([]);
  });
});

describe('validateCredentialProviderConfig', () => {
  const yamlConfig = (provider: string, apiVersion = 'kubelet.config.k8s.io/v1'): string =>
    `apiVersion: ${apiVersion}\nkind: CredentialProviderConfig\nproviders:\n${provider}`;
  const base = [
    '  - name: acr-credential-provider',
    '    matchImages: ["*.cr.aliyuncs.com", "registry-vpc.*.aliyuncs.com"]',
    '    defaultCacheDuration: "10m"',
    '    apiVersion: credentialprovider.kubelet.k8s.io/v1',
  ].join('\n');
  const tokenAttributes = [
    '    tokenAttributes:',
    '      serviceAccountTokenAudience: sts.aliyuncs.com',
    '      cacheType: ServiceAccount',
    '      requireServiceAccount: true',
    '      requiredServiceAccountAnnotationKeys: ["pod-identity.alibabacloud.com/role-name"]',
    '      optionalServiceAccountAnnotationKeys: ["domain.io/role"]',
  ].join('\n');

  it('accepts the reference example and types it', () => {
    const result = validateCredentialProviderConfig(
      yamlConfig(
        [
          base,
          '    args: ["get-credentials", "--v=2"]',
          '    env: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]',
          tokenAttributes,
        ].join('\n'),
      ),
    );
    expect(result).toEqual({
      ok: true,
      config: {
        apiVersion: 'kubelet.config.k8s.io/v1',
        kind: 'CredentialProviderConfig',
        providers: [
          {
            name: 'acr-credential-provider',
            matchImages: ['*.cr.aliyuncs.com', 'registry-vpc.*.aliyuncs.com'],
            defaultCacheDurationMs: 600_000,
            apiVersion: V1,
            args: ['get-credentials', '--v=2'],
            env: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
            tokenAttributes: {
              serviceAccountTokenAudience: 'sts.aliyuncs.com',
              cacheType: 'ServiceAccount',
              requireServiceAccount: true,
              requiredServiceAccountAnnotationKeys: ['pod-identity.alibabacloud.com/role-name'],
              optionalServiceAccountAnnotationKeys: ['domain.io/role'],
            },
          },
        ],
      },
    });
  });

  it('accepts JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1',
      kind: 'CredentialProviderConfig',
      providers: [{ name: 'p', matchImages: ['*.cr.aliyuncs.com'], defaultCacheDuration: '0s', apiVersion: V1 }],
    });
    expect(validateCredentialProviderConfig(`\n  ${json}\n`)).toMatchObject({ ok: true, config: { providers: [{ defaultCacheDurationMs: 0 }] } });
  });

  it.each([
    ['"0"', 0],
    ['0s', 0],
    ['10m', 600_000],
    ['"1h30m"', 5_400_000],
  ])('accepts defaultCacheDuration: %s', (duration, ms) => {
    const result = validateCredentialProviderConfig(yamlConfig(base.replace('"10m"', duration)));
    expect(result).toMatchObject({ ok: true, config: { providers: [{ defaultCacheDurationMs: ms }] } });
  });

  it.each([
    ['kubelet.config.k8s.io/v1beta1', V1BETA1],
    ['kubelet.config.k8s.io/v1alpha1', V1ALPHA1],
    ['kubelet.config.k8s.io/v1', V1ALPHA1],
  ])('accepts config %s with a %s provider', (configVersion, providerVersion) => {
    const result = validateCredentialProviderConfig(yamlConfig(base.replace(V1, providerVersion), configVersion));
    expect(result.ok).toBe(true);
  });

  it('reads YAML 1.1 booleans as go-yaml v2 does', () => {
    expect(validateCredentialProviderConfig(yamlConfig(`${base}\n${tokenAttributes.replace('requireServiceAccount: true', 'requireServiceAccount: yes')}`)).ok).toBe(true);
  });

  it('accepts disjoint merge keys but, like go-yaml v2 strict mode, not a merge override (kubernetes-sigs/yaml#46)', () => {
    const header = 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n';
    const shared = ['  - name: a', '    <<: &rest', '      matchImages: ["a.io"]', '      defaultCacheDuration: 1m', `      apiVersion: ${V1}`, '  - name: b', '    <<: *rest'];
    expect(validateCredentialProviderConfig(header + shared.join('\n'))).toMatchObject({
      ok: true,
      config: { providers: [{ name: 'a', matchImages: ['a.io'] }, { name: 'b', matchImages: ['a.io'] }] },
    });
    const override = ['  - &first', '    name: a', '    matchImages: ["a.io"]', '    defaultCacheDuration: 1m', `    apiVersion: ${V1}`, '  - <<: *first', '    name: b'];
    expect(validateCredentialProviderConfig(header + override.join('\n'))).toMatchObject({ ok: false, error: expect.stringMatching(/duplicate field "providers\[1\].name"/) });
  });

  it.each([
    ['an unquoted defaultCacheDuration: 0 (a YAML integer is a JSON number)', base.replace('"10m"', '0'), /defaultCacheDuration: json: cannot unmarshal number/],
    ['defaultCacheDuration: 1e3', base.replace('"10m"', '1e3'), /cannot unmarshal number/],
    ['defaultCacheDuration: "10min"', base.replace('"10m"', '"10min"'), /unknown unit "min"/],
    ['a negative defaultCacheDuration', base.replace('"10m"', '"-1s"'), /defaultCacheDuration must be greater than or equal to 0/],
    ['no defaultCacheDuration', base.replace('    defaultCacheDuration: "10m"\n', ''), /defaultCacheDuration: Required value/],
    ['a null defaultCacheDuration', base.replace('"10m"', 'null'), /defaultCacheDuration: Required value/],
    ['tokenAttributes without cacheType', `${base}\n${tokenAttributes.replace('      cacheType: ServiceAccount\n', '')}`, /cacheType: Required value/],
    ['a lower-case cacheType', `${base}\n${tokenAttributes.replace('cacheType: ServiceAccount', 'cacheType: token')}`, /cacheType: Unsupported value: "token"/],
    ['tokenAttributes without requireServiceAccount', `${base}\n${tokenAttributes.replace('      requireServiceAccount: true\n', '')}`, /requireServiceAccount: Required value/],
    ['an empty audience', `${base}\n${tokenAttributes.replace('sts.aliyuncs.com', '""')}`, /serviceAccountTokenAudience: Required value/],
    [
      'required annotation keys with requireServiceAccount: false',
      `${base}\n${tokenAttributes.replace('requireServiceAccount: true', 'requireServiceAccount: false')}`,
      /requireServiceAccount cannot be false/,
    ],
    ['an invalid annotation key', `${base}\n${tokenAttributes.replace('"domain.io/role"', '"bad key"')}`, /optionalServiceAccountAnnotationKeys: Invalid value: "bad key"/],
    ['a duplicate annotation key', `${base}\n${tokenAttributes.replace('["domain.io/role"]', '["domain.io/role", "domain.io/role"]')}`, /Duplicate value: "domain.io\/role"/],
    [
      'a key both required and optional',
      `${base}\n${tokenAttributes.replace('"domain.io/role"', '"pod-identity.alibabacloud.com/role-name"')}`,
      /cannot be both required and optional/,
    ],
    ['tokenAttributes for a v1beta1 provider', `${base.replace(V1, V1BETA1)}\n${tokenAttributes}`, /tokenAttributes is only supported for credentialprovider.kubelet.k8s.io\/v1/],
    ['a name with "/"', base.replace('acr-credential-provider', 'bin/acr'), /cannot contain '\/'/],
    ['a name with a space', base.replace('acr-credential-provider', '"acr provider"'), /cannot contain spaces/],
    ['the name "."', base.replace('acr-credential-provider', '"."'), /cannot be '\.'/],
    ['the name ".."', base.replace('acr-credential-provider', '".."'), /cannot be '\.\.'/],
    ['an empty name', base.replace('acr-credential-provider', '""'), /providers.name: Required value/],
    ['a name that YAML reads as a boolean', base.replace('acr-credential-provider', 'on'), /cannot unmarshal bool/],
    ['a duplicate provider name', `${base}\n${base}`, /Duplicate value: "acr-credential-provider"/],
    ['no matchImages', base.replace('    matchImages: ["*.cr.aliyuncs.com", "registry-vpc.*.aliyuncs.com"]\n', ''), /at least 1 item in matchImages/],
    ['an unparseable matchImages entry', base.replace('"*.cr.aliyuncs.com"', '"registry.io:abc"'), /match image is invalid/],
    ['a character class in a matchImages host', base.replace('"*.cr.aliyuncs.com"', '"[ab].cr.aliyuncs.com"'), /match image is invalid/],
    ['no provider apiVersion', base.replace(`    apiVersion: ${V1}`, ''), /providers.apiVersion: Required value/],
    ['an unsupported provider apiVersion', base.replace(V1, 'credentialprovider.kubelet.k8s.io/v2'), /Unsupported value/],
    ['an unknown field', `${base}\n    timeout: 10s`, /unknown field "providers\[0\].timeout"/],
    ['a case-mismatched field', base.replace('matchImages', 'matchimages'), /unknown field "providers\[0\].matchimages".*case-sensitive/],
    ['a numeric arg', `${base}\n    args: ["--v", 2]`, /args\[1\]: json: cannot unmarshal number/],
    ['a duplicate YAML key', `${base}\n    name: other`, /duplicate field "providers\[0\].name"/],
    ['a YAML syntax error', `${base}\n    args: [a`, /yaml:/],
  ])('rejects %s', (_, provider, message) => {
    const result = validateCredentialProviderConfig(yamlConfig(provider));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(message);
  });

  it.each([
    ['tokenAttributes in a v1beta1 config', yamlConfig(`${base}\n${tokenAttributes}`, 'kubelet.config.k8s.io/v1beta1'), /unknown field "providers\[0\].tokenAttributes"/],
    ['no providers', 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders: []\n', /at least 1 item in plugins is required/],
    ['a missing kind', 'apiVersion: kubelet.config.k8s.io/v1\nproviders: []\n', /Object 'Kind' is missing/],
    ['the wrong kind', 'apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n', /no kind "KubeletConfiguration"/],
    ['the credentialprovider group', `apiVersion: ${V1}\nkind: CredentialProviderConfig\nproviders: []\n`, /no kind "CredentialProviderConfig"/],
    ['an empty file', '', /Object 'Kind' is missing/],
    ['JSON with a trailing comma', '{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[],}', /looking for beginning of object key string/],
  ])('rejects %s', (_, text, message) => {
    const result = validateCredentialProviderConfig(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(message);
  });
});

describe('providerMatchesImage (isImageAllowed)', () => {
  it.each([
    [['*.cr.aliyuncs.com'], 'myinst.cn-hangzhou.cr.aliyuncs.com/ns/app', false],
    [['*.*.cr.aliyuncs.com'], 'myinst.cn-hangzhou.cr.aliyuncs.com/ns/app', true],
    [['registry.io:abc', 'registry.io'], 'registry.io/x', true],
    [['registry.io/*'], 'registry.io/x', false],
  ])('%j runs for %j: %s', (matchImages, image, matched) => {
    expect(providerMatchesImage({ matchImages }, image)).toBe(matched);
  });
});

describe('expectKubeletAccepts', () => {
  it('returns the decoded response when a key covers the image', () => {
    expect(expectKubeletAccepts(response(), V1, IMAGE).cacheKeyType).toBe('Registry');
  });

  it('accepts an empty auth map for any image', () => {
    expect(expectKubeletAccepts(response('"cacheKeyType":"Image","cacheDuration":"0s","auth":{}'), V1, 'other.io/x').auth).toEqual({});
  });

  it('fails when no auth key matches the image', () => {
    expect(() => expectKubeletAccepts(response(), V1, 'other.io/x')).toThrow(/would pull it anonymously/);
  });

  it('fails without echoing stdout when the kubelet would reject the output', () => {
    const secret = 'super-secret-password';
    const stdout = response(`"cacheKeyType":"Registry","auth":{"${HOST}":{"username":"u","password":"${secret}"}},"extra":1`);
    expect(() => expectKubeletAccepts(stdout, V1, IMAGE)).toThrow(/unknown field "extra"/);
    expect(() => expectKubeletAccepts(stdout, V1, IMAGE)).not.toThrow(new RegExp(secret));
  });
});
