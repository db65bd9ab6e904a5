/**
 * A model of what the kubelet does with a credential provider plugin's stdout and with its
 * CredentialProviderConfig file: tests assert with it that the kubelet would accept an answer
 * or a config, and `doctor` checks a node's kubelet config with it.
 *
 * The rules follow kubernetes/kubernetes pkg/credentialprovider (keyring.go, plugin/plugin.go,
 * plugin/config.go), apimachinery's JSON/YAML serializer, sigs.k8s.io/json strict decoding,
 * sigs.k8s.io/yaml (go-yaml v2 semantics) and Go's time.ParseDuration, net/url, net.SplitHostPort
 * and path/filepath.Match. Where Go versions differ, this models Go 1.25.x after the
 * CVE-2025-47912 net/url fix (what current 1.34/1.35 kubelet patch releases are built with).
 */
import { isIPv6 } from 'node:net';
import { API_VERSIONS } from './api-versions.js';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Scalar, type Document } from 'yaml';

// ---------------------------------------------------------------------------------------------
// A JSON tree that keeps every object member in order, duplicates included (JSON.parse drops them).

type JsonNode =
  | { type: 'null' }
  | { type: 'bool'; value: boolean }
  | { type: 'number'; text: string }
  | { type: 'string'; value: string }
  | { type: 'array'; items: JsonNode[] }
  | { type: 'object'; members: JsonMember[] };

interface JsonMember {
  key: string;
  value: JsonNode;
}

const JSON_ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a text that must hold exactly one JSON value (RFC 8259, as Go's scanner checks it):
 * only space, tab, CR and LF around it, so a BOM, a log line or a second value is an error.
 */
function parseJson(text: string): JsonNode {
  let pos = 0;
  const fail = (context: string): never => {
    throw new Error(
      pos < text.length ? `invalid character ${JSON.stringify(text[pos])} ${context} (offset ${pos})` : 'unexpected end of JSON input',
    );
  };
  const skipSpace = (): void => {
    while (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r') pos++;
  };
  const literal = (word: string): void => {
    for (const c of word) {
      if (text[pos] !== c) fail(`in literal ${word}`);
      pos++;
    }
  };
  const parseString = (): string => {
    pos++;
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('in string literal');
      const c = text[pos] as string;
      if (c === '"') {
        pos++;
        return out;
      }
      if (c < ' ') fail('in string literal');
      if (c !== '\\') {
        out += c;
        pos++;
        continue;
      }
      pos++;
      const simple = JSON_ESCAPES.get(text[pos] as string);
      if (simple !== undefined) {
        out += simple;
        pos++;
      } else if (text[pos] === 'u') {
        pos++;
        const hex = text.slice(pos, pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('in \\u hexadecimal character escape');
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 4;
      } else {
        fail('in string escape code');
      }
    }
  };
  const parseNumber = (): JsonNode => {
    const start = pos;
    if (text[pos] === '-') pos++;
    if (text[pos] === '0') pos++;
    else if (isDigit(text[pos])) while (isDigit(text[pos])) pos++;
    else fail('in numeric literal');
    if (text[pos] === '.') {
      pos++;
      if (!isDigit(text[pos])) fail('after decimal point in numeric literal');
      while (isDigit(text[pos])) pos++;
    }
    if (text[pos] === 'e' || text[pos] === 'E') {
      pos++;
      if (text[pos] === '+' || text[pos] === '-') pos++;
      if (!isDigit(text[pos])) fail('in exponent of numeric literal');
      while (isDigit(text[pos])) pos++;
    }
    return { type: 'number', text: text.slice(start, pos) };
  };
  const parseValue = (): JsonNode => {
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const members: JsonMember[] = [];
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return { type: 'object', members };
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail('looking for beginning of object key string');
        const key = parseString();
        skipSpace();
        if (text[pos] !== ':') fail('after object key');
        pos++;
        members.push({ key, value: parseValue() });
        skipSpace();
        if (text[pos] === ',') {
          pos++;
        } else if (text[pos] === '}') {
          pos++;
          return { type: 'object', members };
        } else {
          fail('after object key:value pair');
        }
      }
    }
    if (c === '[') {
      pos++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return { type: 'array', items };
      }
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (text[pos] === ',') {
          pos++;
        } else if (text[pos] === ']') {
          pos++;
          return { type: 'array', items };
        } else {
          fail('after array element');
        }
      }
    }
    if (c === '"') return { type: 'string', value: parseString() };
    if (c === 't') {
      literal('true');
      return { type: 'bool', value: true };
    }
    if (c === 'f') {
      literal('false');
      return { type: 'bool', value: false };
    }
    if (c === 'n') {
      literal('null');
      return { type: 'null' };
    }
    if (c === '-' || isDigit(c)) return parseNumber();
    return fail('looking for beginning of value');
  };
  const value = parseValue();
  skipSpace();
  if (pos < text.length) fail('after top-level value');
  return value;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// apiVersion/kind sniffing (apimachinery SimpleMetaFactory.Interpret).

interface TypeMeta {
  group: string;
  version: string;
  kind: string;
}

/** encoding/json's key folding: field lookup in the non-strict sniffing pass ignores case. */
function goFold(key: string): string {
  let out = '';
  for (const ch of key) {
    const folded = ch.toLowerCase().toUpperCase();
    out += [...folded].length === 1 ? folded : ch;
  }
  return out;
}

function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: gv };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  throw new Error(`unexpected GroupVersion string: ${gv}`);
}

const groupVersionString = ({ group, version }: { group: string; version: string }): string =>
  group === '' ? version : `${group}/${version}`;

/**
 * Interpret decodes into struct{APIVersion, Kind string} with plain encoding/json: keys match
 * case-insensitively, a later duplicate wins, null leaves the field empty, other keys are ignored.
 */
function interpret(tree: JsonNode): TypeMeta {
  const fail = (what: string): never => {
    throw new Error(`couldn't get version/kind; json parse error: json: cannot unmarshal ${what}`);
  };
  if (tree.type === 'null') return { group: '', version: '', kind: '' };
  if (tree.type !== 'object') return fail(`${tree.type} into Go value of type struct { APIVersion string; Kind string }`);
  let apiVersion = '';
  let kind = '';
  for (const { key, value } of tree.members) {
    const folded = goFold(key);
    if (folded !== 'APIVERSION' && folded !== 'KIND') continue;
    if (value.type === 'null') continue;
    if (value.type !== 'string') return fail(`${value.type} into Go struct field .${folded === 'KIND' ? 'kind' : 'apiVersion'} of type string`);
    if (folded === 'KIND') kind = value.value;
    else apiVersion = value.value;
  }
  return { ...parseGroupVersion(apiVersion), kind };
}

// ---------------------------------------------------------------------------------------------
// time.ParseDuration.

const NANOS_PER_UNIT = new Map<string, bigint>([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const TWO_POW_63 = 1n << 63n;

/**
 * Go's time.ParseDuration, returning milliseconds (fractional below 1 ms). Throws with Go's
 * message when Go would return an error: no unit ("300"), unknown unit ("1d", "5min"), "",
 * anything outside [-+]?([0-9]*(\.[0-9]*)?[a-z µμ]+)+ and values beyond ±2^63 ns.
 */
export function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  const invalid = (): never => {
    throw new Error(`time: invalid duration ${quoted}`);
  };
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0; // Go's special case: a bare zero needs no unit
  if (rest === '') invalid();
  let total = 0n;
  while (rest !== '') {
    if (rest[0] !== '.' && !isDigit(rest[0])) invalid();
    let i = 0;
    let whole = 0n;
    while (isDigit(rest[i])) {
      whole = whole * 10n + BigInt(rest.charCodeAt(i) - 48);
      if (whole > TWO_POW_63) invalid();
      i++;
    }
    const consumedWhole = i > 0;
    let fraction = 0n;
    let scale = 1;
    let consumedFraction = false;
    if (rest[i] === '.') {
      i++;
      let overflow = false;
      while (isDigit(rest[i])) {
        consumedFraction = true;
        // Like Go's leadingFraction: past 2^63 the digits are consumed but add no precision.
        const next = fraction * 10n + BigInt(rest.charCodeAt(i) - 48);
        if (!overflow && fraction <= (TWO_POW_63 - 1n) / 10n && next <= TWO_POW_63) {
          fraction = next;
          scale *= 10;
        } else {
          overflow = true;
        }
        i++;
      }
    }
    if (!consumedWhole && !consumedFraction) invalid();
    let unitEnd = i;
    while (unitEnd < rest.length && rest[unitEnd] !== '.' && !isDigit(rest[unitEnd])) unitEnd++;
    if (unitEnd === i) throw new Error(`time: missing unit in duration ${quoted}`);
    const unitName = rest.slice(i, unitEnd);
    const unit = NANOS_PER_UNIT.get(unitName);
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`);
    rest = rest.slice(unitEnd);
    if (whole > TWO_POW_63 / unit) invalid();
    let value = whole * unit;
    if (fraction > 0n) {
      // Go computes the fractional part in float64 and truncates it.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > TWO_POW_63) invalid();
    }
    total += value;
    if (total > TWO_POW_63) invalid();
  }
  if (!negative && total > TWO_POW_63 - 1n) invalid();
  const ms = Number(negative ? -total : total) / 1e6;
  return ms === 0 ? 0 : ms;
}

// ---------------------------------------------------------------------------------------------
// Strict decoding (sigs.k8s.io/json UnmarshalStrict: case-sensitive, no unknown or duplicate fields).

type Schema =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'duration' } // *metav1.Duration
  | { kind: 'slice'; elem: Schema }
  | { kind: 'map'; elem: Schema }
  | { kind: 'struct'; name: string; fields: Record<string, Schema>; pointer: boolean };

const STRING: Schema = { kind: 'string' };
const BOOL: Schema = { kind: 'bool' };
const DURATION: Schema = { kind: 'duration' };
const slice = (elem: Schema): Schema => ({ kind: 'slice', elem });
const struct = (name: string, fields: Record<string, Schema>, pointer = false): Schema => ({ kind: 'struct', name, fields, pointer });

function goTypeName(schema: Schema): string {
  switch (schema.kind) {
    case 'slice':
      return `[]${goTypeName(schema.elem)}`;
    case 'map':
      return `map[string]${goTypeName(schema.elem)}`;
    case 'struct':
      return schema.name;
    case 'duration':
      return 'string'; // metav1.Duration unmarshals its JSON into a string first
    default:
      return schema.kind;
  }
}

/** The value Go leaves in a slice element or map value that was JSON null. */
const zeroValue = (schema: Schema): unknown => (schema.kind === 'string' ? '' : schema.kind === 'bool' ? false : schema.kind === 'struct' && !schema.pointer ? {} : undefined);

const memberPath = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

/**
 * Decodes `node` as Go would into the type described by `schema`, appending every strict or
 * type error to `errors`. Returns undefined where Go would leave a nil pointer/slice/map or an
 * untouched string/bool (JSON null); callers read those as absent or zero.
 */
function decodeStrict(node: JsonNode, schema: Schema, path: string, errors: string[]): unknown {
  if (node.type === 'null') return schema.kind === 'struct' && !schema.pointer ? {} : undefined;
  switch (schema.kind) {
    case 'string':
      if (node.type === 'string') return node.value;
      break;
    case 'bool':
      if (node.type === 'bool') return node.value;
      break;
    case 'duration':
      if (node.type === 'string') {
        try {
          return parseGoDuration(node.value);
        } catch (error) {
          errors.push(`${path}: ${errorMessage(error)}`);
          return undefined;
        }
      }
      break;
    case 'slice':
      if (node.type === 'array') {
        return node.items.map((item, i) => decodeStrict(item, schema.elem, `${path}[${i}]`, errors) ?? zeroValue(schema.elem));
      }
      break;
    case 'map':
      if (node.type === 'object') {
        // Null prototype: an auth key such as "__proto__" must stay an ordinary entry.
        const out: Record<string, unknown> = Object.create(null);
        const seen = new Set<string>();
        for (const { key, value } of node.members) {
          const entryPath = `${path}[${key}]`;
          if (seen.has(key)) errors.push(`duplicate field ${JSON.stringify(entryPath)}`);
          seen.add(key);
          out[key] = decodeStrict(value, schema.elem, entryPath, errors) ?? zeroValue(schema.elem);
        }
        return out;
      }
      break;
    case 'struct':
      if (node.type === 'object') {
        const out: Record<string, unknown> = {};
        const seen = new Set<string>();
        for (const { key, value } of node.members) {
          const fieldPath = memberPath(path, key);
          const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
          if (field === undefined) {
            const sameButCase = Object.keys(schema.fields).find((name) => goFold(name) === goFold(key));
            errors.push(
              `unknown field ${JSON.stringify(fieldPath)}` +
                (sameButCase === undefined ? '' : ` (field names are case-sensitive; the field is ${JSON.stringify(sameButCase)})`),
            );
            continue;
          }
          if (seen.has(key)) errors.push(`duplicate field ${JSON.stringify(fieldPath)}`);
          seen.add(key);
          const decoded = decodeStrict(value, field, fieldPath, errors);
          if (decoded !== undefined) out[key] = decoded;
        }
        return out;
      }
      break;
  }
  errors.push(`${path || '(root)'}: json: cannot unmarshal ${node.type} into Go value of type ${goTypeName(schema)}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The plugin's response (plugin.go ExecPlugin, decodeResponse, provide).

const CREDENTIAL_PROVIDER_API_VERSIONS: readonly string[] = API_VERSIONS;

export type CacheKeyType = 'Image' | 'Registry' | 'Global';
const CACHE_KEY_TYPES: readonly string[] = ['Image', 'Registry', 'Global'];

export interface AuthConfig {
  username: string;
  password: string;
}

export interface CredentialProviderResponse {
  kind: 'CredentialProviderResponse';
  apiVersion: string;
  cacheKeyType: CacheKeyType;
  /** Milliseconds. Absent when the response had no or a null cacheDuration: defaultCacheDuration applies. */
  cacheDurationMs?: number;
  /** Empty when auth was absent, null or {}. A null entry or field decodes as "" (Go's zero value). */
  auth: Record<string, AuthConfig>;
}

/** Service-account mode (KEP-4412, 1.34+): the token sent in the request and tokenAttributes.cacheType. */
export interface ServiceAccountMode {
  serviceAccountToken: string;
  cacheType: 'Token' | 'ServiceAccount';
}

export type DecodeResponseResult = { ok: true; response: CredentialProviderResponse } | { ok: false; error: string };

const RESPONSE_SCHEMA = struct('CredentialProviderResponse', {
  kind: STRING,
  apiVersion: STRING,
  cacheKeyType: STRING,
  cacheDuration: DURATION,
  auth: { kind: 'map', elem: struct('AuthConfig', { username: STRING, password: STRING }) },
});

interface RawResponse {
  cacheKeyType?: string;
  cacheDuration?: number;
  auth?: Record<string, { username?: string; password?: string }>;
}

/**
 * What the kubelet makes of a plugin's stdout, in its order: one JSON value (sniffed for
 * apiVersion/kind), apiVersion equal to the configured one, strict decoding, kind, the
 * service-account password rule and a valid cacheKeyType (otherwise the response is discarded).
 */
export function decodeCredentialProviderResponse(
  stdout: string,
  expectedApiVersion: string,
  serviceAccount?: ServiceAccountMode,
): DecodeResponseResult {
  const fail = (error: string): DecodeResponseResult => ({ ok: false, error });
  let tree: JsonNode;
  let meta: TypeMeta;
  try {
    tree = parseJson(stdout);
  } catch (error) {
    return fail(`error reading GVK from response: couldn't get version/kind; json parse error: ${errorMessage(error)}`);
  }
  try {
    meta = interpret(tree);
  } catch (error) {
    return fail(`error reading GVK from response: ${errorMessage(error)}`);
  }
  const actualApiVersion = groupVersionString(meta);
  if (actualApiVersion !== expectedApiVersion) {
    return fail(`apiVersion from credential plugin response did not match expected apiVersion:${expectedApiVersion}, actual apiVersion:${actualApiVersion}`);
  }
  const decodeError = (detail: string): DecodeResponseResult => fail(`error decoding credential provider plugin response from stdout: ${detail}`);
  if (meta.kind === '') return decodeError("Object 'Kind' is missing");
  // A registered but different kind (CredentialProviderRequest) fails after decoding in the kubelet; either way it is rejected.
  if (!CREDENTIAL_PROVIDER_API_VERSIONS.includes(expectedApiVersion) || meta.kind !== 'CredentialProviderResponse') {
    return decodeError(`no kind ${JSON.stringify(meta.kind)} is registered as a response for version ${JSON.stringify(actualApiVersion)}`);
  }
  const errors: string[] = [];
  const raw = decodeStrict(tree, RESPONSE_SCHEMA, '', errors) as RawResponse;
  if (errors.length > 0) return decodeError(`strict decoding error: ${errors.join(', ')}`);

  const auth: Record<string, AuthConfig> = Object.create(null);
  for (const [key, entry] of Object.entries(raw.auth ?? {})) {
    auth[key] = { username: entry.username ?? '', password: entry.password ?? '' };
  }
  if (serviceAccount !== undefined && serviceAccount.serviceAccountToken !== '' && serviceAccount.cacheType !== 'Token') {
    if (Object.values(auth).some((entry) => entry.password === serviceAccount.serviceAccountToken)) {
      return fail("Credential provider plugin returned the service account token as the password, which is not allowed when service account cache type is not set to 'Token'");
    }
  }
  const cacheKeyType = raw.cacheKeyType ?? '';
  if (!CACHE_KEY_TYPES.includes(cacheKeyType)) {
    return fail(`credential provider plugin did not return a valid cacheKeyType: ${JSON.stringify(cacheKeyType)}`);
  }
  return {
    ok: true,
    response: {
      kind: 'CredentialProviderResponse',
      apiVersion: actualApiVersion,
      cacheKeyType: cacheKeyType as CacheKeyType,
      ...(raw.cacheDuration === undefined ? {} : { cacheDurationMs: raw.cacheDuration }),
      auth,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// net/url.Parse, as far as ParseSchemelessURL and BasicDockerKeyring.Add use it.

export interface GoURL {
  /** host[:port], %-decoded; "[v6]" literals keep their brackets. */
  host: string;
  /** The decoded path ("" when there is none). */
  path: string;
}

type EscapeMode = 'host' | 'zone' | 'path' | 'userinfo' | 'fragment';

const HOST_ASCII = /^[A-Za-z0-9!$&'()*+,;=:[\]<>"\-_.~]$/;

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Go's url.unescape: validates %-escapes (and host characters), then decodes them as UTF-8 bytes. */
function goUnescape(s: string, mode: EscapeMode): string {
  const hostLike = mode === 'host' || mode === 'zone';
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    if (c === '%') {
      const escape = s.slice(i, i + 3);
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) throw new Error(`invalid URL escape ${JSON.stringify(escape)}`);
      const byte = parseInt(s.slice(i + 1, i + 3), 16);
      // In a host only non-ASCII bytes may be escaped (plus %25 for IPv6 zones).
      if (mode === 'host' && byte < 0x80 && escape !== '%25') throw new Error(`invalid URL escape ${JSON.stringify(escape)}`);
      if (mode === 'zone' && escape !== '%25' && byte !== 0x20 && !(byte < 0x80 && HOST_ASCII.test(String.fromCharCode(byte)))) {
        throw new Error(`invalid URL escape ${JSON.stringify(escape)}`);
      }
      i += 3;
    } else {
      if (hostLike && c.charCodeAt(0) < 0x80 && !HOST_ASCII.test(c)) throw new Error(`invalid character ${JSON.stringify(c)} in host name`);
      i++;
    }
  }
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(s.codePointAt(i) as number);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const validOptionalPort = (port: string): boolean => port === '' || /^:[0-9]*$/.test(port);

/**
 * netip.ParseAddr as the bracketed-host check uses it: the first of '.', ':' and '%' picks the
 * family, and only an IPv6 address (with an optional, non-empty zone) is accepted.
 */
function checkIPv6Literal(address: string): void {
  const zoneAt = address.indexOf('%');
  const ip = zoneAt < 0 ? address : address.slice(0, zoneAt);
  if (/[.:%]/.exec(address)?.[0] === ':' && zoneAt !== address.length - 1 && isIPv6(ip)) return;
  throw new Error(`invalid IP-literal ${JSON.stringify(address)}`);
}

/** url.parseHost (Go 1.25 with the CVE-2025-47912 fix): any "[" makes the host an IPv6 literal. */
function parseHost(host: string): string {
  const open = host.lastIndexOf('[');
  if (open !== -1) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    const hostname = host.slice(open + 1, close);
    const zoneAt = hostname.indexOf('%25');
    const unescaped =
      zoneAt >= 0 ? goUnescape(hostname.slice(0, zoneAt), 'host') + goUnescape(hostname.slice(zoneAt), 'zone') : goUnescape(hostname, 'host');
    checkIPv6Literal(unescaped);
    return `[${unescaped}]${colonPort}`;
  }
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && !validOptionalPort(host.slice(colon))) {
    throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
  }
  return goUnescape(host, 'host');
}

const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

/** url.Parse for an absolute "scheme://…" string, which is all the kubelet ever hands it here. */
function parseGoURL(raw: string): GoURL {
  const hashAt = raw.indexOf('#');
  const beforeFragment = hashAt < 0 ? raw : raw.slice(0, hashAt);
  const wrap = (error: unknown): Error => new Error(`parse ${JSON.stringify(beforeFragment)}: ${errorMessage(error)}`);
  try {
    if (/[\x00-\x1f\x7f]/.test(beforeFragment)) throw new Error('net/url: invalid control character in URL');
    let rest = beforeFragment.slice(beforeFragment.indexOf(':') + 1);
    // The query is cut off before the authority is parsed, so a "?" glob ends the host.
    if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
    else if (rest.includes('?')) rest = rest.slice(0, rest.indexOf('?'));
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const host = parseHost(authority.slice(at + 1));
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!USERINFO.test(userinfo)) throw new Error('net/url: invalid userinfo');
      goUnescape(userinfo, 'userinfo');
    }
    const path = goUnescape(slash < 0 ? '' : rest.slice(slash), 'path');
    if (hashAt >= 0) goUnescape(raw.slice(hashAt + 1), 'fragment');
    return { host, path };
  } catch (error) {
    throw wrap(error);
  }
}

/** keyring.go ParseSchemelessURL: url.Parse("https://" + s). Throws where Go returns an error. */
export function parseSchemelessURL(schemeless: string): GoURL {
  return parseGoURL(`https://${schemeless}`);
}

/** net.SplitHostPort; on error the keyring uses the whole host and an empty port. */
function splitURL(host: string): { labels: string[]; port: string } {
  const whole = { labels: host.split('.'), port: '' };
  const lastColon = host.lastIndexOf(':');
  if (lastColon < 0) return whole;
  let hostname: string;
  let openFrom = 0;
  let closeFrom = 0;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0 || end + 1 !== lastColon) return whole;
    hostname = host.slice(1, end);
    openFrom = 1;
    closeFrom = end + 1;
  } else {
    hostname = host.slice(0, lastColon);
    if (hostname.includes(':')) return whole;
  }
  if (host.slice(openFrom).includes('[') || host.slice(closeFrom).includes(']')) return whole;
  return { labels: hostname.split('.'), port: host.slice(lastColon + 1) };
}

// ---------------------------------------------------------------------------------------------
// path/filepath.Match (Unix), on code points.

const SEPARATOR = '/';

function badPattern(): never {
  throw new Error('syntax error in pattern');
}

function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; after: string[] } {
  let start = 0;
  while (pattern[start] === '*') start++;
  let inRange = false;
  let i = start;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
        break;
    }
  }
  return { star: start > 0, chunk: pattern.slice(start, i), after: pattern.slice(i) };
}

function getEsc(chunk: string[], at: number): { rune: number; next: number } {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') badPattern();
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) badPattern();
  }
  const rune = (chunk[i] as string).codePointAt(0) as number;
  i++;
  if (i >= chunk.length) badPattern();
  return { rune, next: i };
}

/**
 * Matches one star-free chunk against the start of `s`; returns the rest of `s`, or null. Like
 * Go it keeps scanning the chunk after a mismatch so a malformed pattern always throws.
 */
function matchChunk(chunk: string[], s: string[]): string[] | null {
  let failed = false;
  let c = 0;
  let i = 0;
  while (c < chunk.length) {
    if (!failed && i >= s.length) failed = true;
    if (chunk[c] === '[') {
      const rune = failed ? -1 : ((s[i++] as string).codePointAt(0) as number);
      c++;
      const negated = chunk[c] === '^';
      if (negated) c++;
      let matched = false;
      for (let ranges = 0; ; ranges++) {
        if (chunk[c] === ']' && ranges > 0) {
          c++;
          break;
        }
        const lo = getEsc(chunk, c);
        let hi = lo.rune;
        c = lo.next;
        if (chunk[c] === '-') {
          const upper = getEsc(chunk, c + 1);
          hi = upper.rune;
          c = upper.next;
        }
        if (lo.rune <= rune && rune <= hi) matched = true;
      }
      if (matched === negated) failed = true;
    } else if (chunk[c] === '?') {
      if (!failed) {
        if (s[i] === SEPARATOR) failed = true;
        i++;
      }
      c++;
    } else {
      if (chunk[c] === '\\') {
        c++;
        if (c >= chunk.length) badPattern();
      }
      if (!failed) {
        if (chunk[c] !== s[i]) failed = true;
        i++;
      }
      c++;
    }
  }
  return failed ? null : s.slice(i);
}

/** Go's filepath.Match on Unix: `*`, `?`, `[...]` with ranges and `^` negation, `\` escapes. Throws on a bad pattern. */
export function filepathMatch(pattern: string, name: string): boolean {
  let pat = [...pattern];
  let rest = [...name];
  outer: while (pat.length > 0) {
    const { star, chunk, after } = scanChunk(pat);
    pat = after;
    if (star && chunk.length === 0) return !rest.includes(SEPARATOR);
    const direct = matchChunk(chunk, rest);
    if (direct !== null && (direct.length === 0 || pat.length > 0)) {
      rest = direct;
      continue;
    }
    if (star) {
      for (let i = 0; i < rest.length && rest[i] !== SEPARATOR; i++) {
        const skipped = matchChunk(chunk, rest.slice(i + 1));
        if (skipped !== null) {
          if (pat.length === 0 && skipped.length > 0) continue;
          rest = skipped;
          continue outer;
        }
      }
    }
    // Before answering false, Go checks that the rest of the pattern is well-formed.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.after;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return rest.length === 0;
}

// ---------------------------------------------------------------------------------------------
// keyring.go URLsMatch / URLsMatchStr.

/**
 * URLsMatchStr: same port string, same number of host labels, each label matched with
 * filepath.Match, and the glob's path a plain string prefix of the target's. Throws where Go
 * returns an error (a URL that does not parse, a bad glob pattern).
 */
export function urlsMatchStr(glob: string, target: string): boolean {
  const globURL = parseSchemelessURL(glob);
  const targetURL = parseSchemelessURL(target);
  const g = splitURL(globURL.host);
  const t = splitURL(targetURL.host);
  if (g.port !== t.port) return false;
  if (g.labels.length !== t.labels.length) return false;
  if (!targetURL.path.startsWith(globURL.path)) return false;
  return g.labels.every((label, i) => filepathMatch(label, t.labels[i] as string));
}

/** The kubelet's effective answer: Lookup and isImageAllowed treat an error as "no match". */
export function urlsMatch(glob: string, target: string): boolean {
  try {
    return urlsMatchStr(glob, target);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// BasicDockerKeyring.Add / Lookup.

export interface KeyringCredential extends AuthConfig {
  /** The key as the plugin returned it. */
  authKey: string;
  /** The key after BasicDockerKeyring.Add normalised it; this is what was matched. */
  matchKey: string;
  /** True when only the index.docker.io fallback produced it. */
  dockerHubFallback: boolean;
}

const DOCKER_HUB_KEY = 'index.docker.io';

function keyringKey(authKey: string): string | undefined {
  const value = authKey.startsWith('https://') || authKey.startsWith('http://') ? authKey : `https://${authKey}`;
  let parsed: GoURL;
  try {
    parsed = parseGoURL(value);
  } catch {
    return undefined; // Add logs "Entry … in dockercfg invalid" and skips the entry
  }
  const path = parsed.path.startsWith('/v2/') || parsed.path.startsWith('/v1/') ? parsed.path.slice(3) : parsed.path;
  return path !== '' && path !== '/' ? parsed.host + path : parsed.host;
}

/** isDefaultRegistryMatch: any image whose first component cannot be a registry host counts as Docker Hub. */
function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (first === '') return false;
  if (slash < 0 || first === 'docker.io' || first === DOCKER_HUB_KEY) return true;
  return !/[.:]/.test(first);
}

/** Go sorts strings by their UTF-8 bytes. */
const compareGoStrings = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * The credentials the kubelet would try for `image` from one plugin's auth map, in its order:
 * keys normalised, de-duplicated and sorted reverse-lexically, every matching key contributing;
 * if none matches, the index.docker.io entry for Docker Hub images. Empty means an anonymous pull.
 */
export function lookupAuth(auth: Readonly<Record<string, AuthConfig>>, image: string): KeyringCredential[] {
  const byKey = new Map<string, Array<AuthConfig & { authKey: string }>>();
  for (const [authKey, credential] of Object.entries(auth)) {
    const matchKey = keyringKey(authKey);
    if (matchKey === undefined) continue;
    const list = byKey.get(matchKey) ?? [];
    list.push({ authKey, username: credential.username, password: credential.password });
    byKey.set(matchKey, list);
  }
  const index = [...byKey.keys()].sort(compareGoStrings).reverse();
  const found = index
    .filter((key) => urlsMatch(key, image))
    .flatMap((key) => (byKey.get(key) ?? []).map((entry) => ({ ...entry, matchKey: key, dockerHubFallback: false })));
  if (found.length > 0) return found;
  const hub = byKey.get(DOCKER_HUB_KEY);
  if (hub === undefined || !isDefaultRegistryMatch(image)) return [];
  return hub.map((entry) => ({ ...entry, matchKey: DOCKER_HUB_KEY, dockerHubFallback: true }));
}

// ---------------------------------------------------------------------------------------------
// YAML as the kubelet reads it: sigs.k8s.io/yaml converts with go-yaml v2 (YAML 1.1 scalars),
// and the strict pass rejects duplicate keys.

const YAML_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const YAML_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const YAML_NULL = new Set(['', '~', 'null', 'Null', 'NULL']);
const YAML_SPECIAL_FLOAT = /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml v2's resolve() for a plain scalar; only the resulting JSON type matters here. */
function resolvePlainScalar(text: string): JsonNode {
  const number: JsonNode = { type: 'number', text };
  if (YAML_NULL.has(text)) return { type: 'null' };
  if (YAML_TRUE.has(text)) return { type: 'bool', value: true };
  if (YAML_FALSE.has(text)) return { type: 'bool', value: false };
  if (YAML_SPECIAL_FLOAT.test(text)) return number;
  const first = text[0] as string;
  if (first === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(Number(text)) ? number : { type: 'string', value: text };
  if (isDigit(first) || first === '+' || first === '-') {
    const plain = text.replaceAll('_', '');
    const int = GO_INT.exec(plain);
    if (int !== null) {
      const digits = int[2] as string;
      const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
      const limit = int[1] === '' ? (1n << 64n) - 1n : int[1] === '-' ? TWO_POW_63 : TWO_POW_63 - 1n;
      if (magnitude <= limit) return number;
    }
    if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return number;
  }
  return { type: 'string', value: text };
}

type YamlDocument = Document.Parsed;

function yamlToJsonNode(node: unknown, doc: YamlDocument): JsonNode {
  if (node === null || node === undefined) return { type: 'null' };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) throw new Error(`yaml: unknown anchor '${node.source}' referenced`);
    return yamlToJsonNode(target, doc);
  }
  if (isScalar(node)) {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    const explicitString = node.tag === 'tag:yaml.org,2002:str';
    return node.type === Scalar.PLAIN && !explicitString ? resolvePlainScalar(text) : { type: 'string', value: text };
  }
  if (isSeq(node)) return { type: 'array', items: node.items.map((item) => yamlToJsonNode(item, doc)) };
  if (isMap(node)) {
    const members: JsonMember[] = [];
    for (const pair of node.items) {
      if (!isScalar(pair.key)) throw new Error('yaml: only scalar mapping keys can be converted to JSON');
      // Keys are taken verbatim; go-yaml would spell a bool/null key differently, which only changes an unknown-field message.
      const key = String(pair.key.value ?? '');
      if (pair.key.type === Scalar.PLAIN && key === '<<') {
        members.push(...mergedMembers(pair.value, doc));
      } else {
        members.push({ key, value: yamlToJsonNode(pair.value, doc) });
      }
    }
    return { type: 'object', members };
  }
  throw new Error('yaml: unsupported node');
}

/** A "<<" merge key; go-yaml v2's strict pass reports merged keys that collide, as duplicates do. */
function mergedMembers(value: unknown, doc: YamlDocument): JsonMember[] {
  const target = isAlias(value) ? value.resolve(doc) : value;
  const sources = isSeq(target) ? target.items.map((item) => (isAlias(item) ? item.resolve(doc) : item)) : [target];
  return sources.flatMap((source) => {
    if (!isMap(source)) throw new Error('yaml: map merge requires map or sequence of maps as the value');
    return (yamlToJsonNode(source, doc) as Extract<JsonNode, { type: 'object' }>).members;
  });
}

function parseYaml(text: string): JsonNode {
  // go-yaml v2 reads only the first document; failsafe keeps every scalar a string so resolvePlainScalar decides.
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false });
  const doc = docs.length > 0 ? docs[0] : undefined;
  if (doc === undefined) return { type: 'null' };
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) throw new Error(`yaml: ${syntaxError.message}`);
  return yamlToJsonNode(doc.contents, doc);
}

/** The universal decoder hands data to the JSON serializer when it starts with "{" after Unicode spaces. */
const LOOKS_LIKE_JSON = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\{/;

// ---------------------------------------------------------------------------------------------
// CredentialProviderConfig (plugin/config.go decode + validateCredentialProviderConfig).

export interface ExecEnvVar {
  name: string;
  value: string;
}

export interface ServiceAccountTokenAttributes {
  serviceAccountTokenAudience: string;
  cacheType: 'Token' | 'ServiceAccount';
  requireServiceAccount: boolean;
  requiredServiceAccountAnnotationKeys: string[];
  optionalServiceAccountAnnotationKeys: string[];
}

export interface CredentialProvider {
  name: string;
  matchImages: string[];
  defaultCacheDurationMs: number;
  apiVersion: string;
  args: string[];
  env: ExecEnvVar[];
  tokenAttributes?: ServiceAccountTokenAttributes;
}

export interface CredentialProviderConfig {
  apiVersion: string;
  kind: 'CredentialProviderConfig';
  providers: CredentialProvider[];
}

export type ValidateConfigResult = { ok: true; config: CredentialProviderConfig } | { ok: false; error: string };

const CONFIG_API_VERSIONS: readonly string[] = ['kubelet.config.k8s.io/v1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1alpha1'];
const CREDENTIAL_PROVIDER_V1 = 'credentialprovider.kubelet.k8s.io/v1';

const TOKEN_ATTRIBUTES_SCHEMA = struct(
  'ServiceAccountTokenAttributes',
  {
    serviceAccountTokenAudience: STRING,
    cacheType: STRING,
    requireServiceAccount: BOOL,
    requiredServiceAccountAnnotationKeys: slice(STRING),
    optionalServiceAccountAnnotationKeys: slice(STRING),
  },
  true,
);

/** tokenAttributes exists only in kubelet.config.k8s.io/v1; in older versions it is an unknown field. */
function configSchema(withTokenAttributes: boolean): Schema {
  const provider: Record<string, Schema> = {
    name: STRING,
    matchImages: slice(STRING),
    defaultCacheDuration: DURATION,
    apiVersion: STRING,
    args: slice(STRING),
    env: slice(struct('ExecEnvVar', { name: STRING, value: STRING })),
  };
  if (withTokenAttributes) provider.tokenAttributes = TOKEN_ATTRIBUTES_SCHEMA;
  return struct('CredentialProviderConfig', { kind: STRING, apiVersion: STRING, providers: slice(struct('CredentialProvider', provider)) });
}

interface RawTokenAttributes {
  serviceAccountTokenAudience?: string;
  cacheType?: string;
  requireServiceAccount?: boolean;
  requiredServiceAccountAnnotationKeys?: string[];
  optionalServiceAccountAnnotationKeys?: string[];
}

interface RawProvider {
  name?: string;
  matchImages?: string[];
  defaultCacheDuration?: number;
  apiVersion?: string;
  args?: string[];
  env?: Array<{ name?: string; value?: string }>;
  tokenAttributes?: RawTokenAttributes;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** validation.IsQualifiedName, applied to the lower-cased key as config.go does. */
function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'"];
  const errors: string[] = [];
  const name = parts[parts.length - 1] as string;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === '') errors.push('prefix part must be non-empty');
    else if (Buffer.byteLength(prefix) > 253 || !DNS1123_SUBDOMAIN.test(prefix)) errors.push('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (Buffer.byteLength(name) > 63) errors.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errors.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  return errors;
}

function annotationKeyErrors(path: string, keys: readonly string[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    for (const message of qualifiedNameErrors(key.toLowerCase())) errors.push(`${path}: Invalid value: ${JSON.stringify(key)}: ${message}`);
    if (seen.has(key)) errors.push(`${path}: Duplicate value: ${JSON.stringify(key)}`);
    seen.add(key);
  }
  return errors;
}

/** Assumes the KubeletServiceAccountTokenForCredentialProviders gate is on (the default since 1.34). */
function tokenAttributesErrors(attributes: RawTokenAttributes, providerApiVersion: string): string[] {
  const path = 'providers.tokenAttributes';
  const errors: string[] = [];
  if ((attributes.serviceAccountTokenAudience ?? '') === '') errors.push(`${path}.serviceAccountTokenAudience: Required value`);
  if (attributes.requireServiceAccount === undefined) errors.push(`${path}.requireServiceAccount: Required value`);
  if (providerApiVersion !== CREDENTIAL_PROVIDER_V1) errors.push(`${path}: Forbidden: tokenAttributes is only supported for ${CREDENTIAL_PROVIDER_V1} API version`);
  const required = attributes.requiredServiceAccountAnnotationKeys ?? [];
  const optional = attributes.optionalServiceAccountAnnotationKeys ?? [];
  if (attributes.requireServiceAccount === false && required.length > 0) {
    errors.push(`${path}.requiredServiceAccountAnnotationKeys: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set`);
  }
  errors.push(...annotationKeyErrors(`${path}.requiredServiceAccountAnnotationKeys`, required));
  errors.push(...annotationKeyErrors(`${path}.optionalServiceAccountAnnotationKeys`, optional));
  const both = [...new Set(required)].filter((key) => optional.includes(key)).sort(compareGoStrings);
  if (both.length > 0) errors.push(`${path}: Invalid value: ${JSON.stringify(both)}: annotation keys cannot be both required and optional`);
  const cacheType = attributes.cacheType ?? '';
  if (cacheType === '') {
    errors.push(`${path}.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token`);
  } else if (cacheType !== 'Token' && cacheType !== 'ServiceAccount') {
    errors.push(`${path}.cacheType: Unsupported value: ${JSON.stringify(cacheType)}: supported values: "ServiceAccount", "Token"`);
  }
  return errors;
}

function providerErrors(providers: readonly RawProvider[]): string[] {
  const errors: string[] = [];
  if (providers.length === 0) errors.push('providers: Required value: at least 1 item in plugins is required');
  const names = new Set<string>();
  for (const provider of providers) {
    const name = provider.name ?? '';
    const invalidName = (why: string): void => {
      errors.push(`providers.name: Invalid value: ${JSON.stringify(name)}: ${why}`);
    };
    if (name.includes('/')) invalidName("provider name cannot contain '/'");
    if (name.includes(' ')) invalidName('provider name cannot contain spaces');
    if (name === '.') invalidName("provider name cannot be '.'");
    if (name === '..') invalidName("provider name cannot be '..'");
    // Not in validation, but registration looks up <bin-dir>/<name>, the directory itself, and the kubelet exits.
    if (name === '') errors.push('providers.name: Required value: the kubelet would look up the bin directory itself as the plugin');
    if (names.has(name)) errors.push(`providers.name: Duplicate value: ${JSON.stringify(name)}`);
    names.add(name);
    const apiVersion = provider.apiVersion ?? '';
    if (apiVersion === '') errors.push('providers.apiVersion: Required value');
    else if (!CREDENTIAL_PROVIDER_API_VERSIONS.includes(apiVersion)) {
      errors.push(`providers.apiVersion: Unsupported value: ${JSON.stringify(apiVersion)}: supported values: ${[...CREDENTIAL_PROVIDER_API_VERSIONS].sort().map((v) => JSON.stringify(v)).join(', ')}`);
    }
    const matchImages = provider.matchImages ?? [];
    if (matchImages.length === 0) errors.push('providers.matchImages: Required value: at least 1 item in matchImages is required');
    for (const matchImage of matchImages) {
      try {
        parseSchemelessURL(matchImage);
      } catch (error) {
        errors.push(`providers.matchImages: Invalid value: ${JSON.stringify(matchImage)}: match image is invalid: ${errorMessage(error)}`);
      }
    }
    if (provider.defaultCacheDuration === undefined) errors.push('providers.defaultCacheDuration: Required value');
    else if (provider.defaultCacheDuration < 0) errors.push('providers.defaultCacheDuration: Invalid value: defaultCacheDuration must be greater than or equal to 0');
    if (provider.tokenAttributes !== undefined) errors.push(...tokenAttributesErrors(provider.tokenAttributes, apiVersion));
  }
  return errors;
}

/**
 * Whether the kubelet would start with this --image-credential-provider-config file (JSON or
 * YAML): decoded strictly into kubelet.config.k8s.io v1/v1beta1/v1alpha1, then validated.
 */
export function validateCredentialProviderConfig(text: string): ValidateConfigResult {
  const fail = (error: string): ValidateConfigResult => ({ ok: false, error });
  let tree: JsonNode;
  let meta: TypeMeta;
  try {
    tree = LOOKS_LIKE_JSON.test(text) ? parseJson(text) : parseYaml(text);
    meta = interpret(tree);
  } catch (error) {
    return fail(`error decoding config: ${errorMessage(error)}`);
  }
  const apiVersion = groupVersionString(meta);
  if (meta.kind === '') return fail("error decoding config: Object 'Kind' is missing");
  if (meta.version === '') return fail("error decoding config: Object 'apiVersion' is missing");
  if (!CONFIG_API_VERSIONS.includes(apiVersion) || meta.kind !== 'CredentialProviderConfig') {
    return fail(`error decoding config: no kind ${JSON.stringify(meta.kind)} is registered as a config for version ${JSON.stringify(apiVersion)}`);
  }
  const decodeErrors: string[] = [];
  const raw = decodeStrict(tree, configSchema(apiVersion === 'kubelet.config.k8s.io/v1'), '', decodeErrors) as { providers?: RawProvider[] };
  if (decodeErrors.length > 0) return fail(`error decoding config: strict decoding error: ${decodeErrors.join(', ')}`);
  const providers = raw.providers ?? [];
  const errors = providerErrors(providers);
  if (errors.length > 0) return fail(`failed to validate credential provider config: [${errors.join(', ')}]`);
  return {
    ok: true,
    config: {
      apiVersion,
      kind: 'CredentialProviderConfig',
      providers: providers.map((provider) => ({
        name: provider.name ?? '',
        matchImages: provider.matchImages ?? [],
        defaultCacheDurationMs: provider.defaultCacheDuration ?? 0,
        apiVersion: provider.apiVersion ?? '',
        args: provider.args ?? [],
        env: (provider.env ?? []).map((entry) => ({ name: entry.name ?? '', value: entry.value ?? '' })),
        ...(provider.tokenAttributes === undefined
          ? {}
          : {
              tokenAttributes: {
                serviceAccountTokenAudience: provider.tokenAttributes.serviceAccountTokenAudience ?? '',
                cacheType: provider.tokenAttributes.cacheType as 'Token' | 'ServiceAccount',
                requireServiceAccount: provider.tokenAttributes.requireServiceAccount ?? false,
                requiredServiceAccountAnnotationKeys: provider.tokenAttributes.requiredServiceAccountAnnotationKeys ?? [],
                optionalServiceAccountAnnotationKeys: provider.tokenAttributes.optionalServiceAccountAnnotationKeys ?? [],
              },
            }),
      })),
    },
  };
}

/** plugin.go isImageAllowed: the plugin runs for `image` when any matchImages entry matches it. */
export function providerMatchesImage(provider: Pick<CredentialProvider, 'matchImages'>, image: string): boolean {
  return provider.matchImages.some((matchImage) => urlsMatch(matchImage, image));
}
