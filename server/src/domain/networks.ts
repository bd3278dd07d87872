// Which IP addresses a server-side request (a webhook delivery) may reach: the special-purpose ranges of
// IANA's IPv4 and IPv6 registries are refused, unless the operator allow-lists a network. Pure: the caller
// resolves names and passes the addresses it is about to connect to.
import { isIP } from "node:net";

/** Why an address is not a public unicast one (the reason shown in `blocked address: <reason>`). */
export type AddressCategory =
  | "unspecified"
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "invalid";

/** An IPv4 or IPv6 network, as `address/prefix`. Addresses are numbers: IPv4 in 32 bits, IPv6 in 128. */
export interface Network {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

const V4_RANGES: readonly [string, AddressCategory][] = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"], // 169.254.169.254: cloud metadata services
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"], // IETF protocol assignments
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"], // 6to4 relay anycast
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
];

const V6_RANGES: readonly [string, AddressCategory][] = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "reserved"], // local-use NAT64
  ["100::/64", "reserved"], // discard-only
  ["2001::/32", "reserved"], // Teredo: the client address inside is obfuscated, so it cannot be checked
  ["2001:2::/48", "benchmarking"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"], // deprecated site-local
  ["ff00::/8", "multicast"],
];

/**
 * IPv6 forms that carry an IPv4 address in their low bits, which is what is finally reached: IPv4-mapped
 * (`::ffff:127.0.0.1`, how dual-stack sockets show IPv4 peers), IPv4-compatible (`::127.0.0.1`, deprecated) and
 * the NAT64 well-known prefix. 6to4 (`2002:AABB:CCDD::/48`) carries it in bits 16–48 instead.
 */
const EMBEDDING_V4_IN_LOW_BITS: readonly Network[] = ["::ffff:0:0/96", "::/96", "64:ff9b::/96"].map((cidr) => parseNetwork(cidr)!);
const SIX_TO_FOUR = parseNetwork("2002::/16")!;

const V4_TABLE = V4_RANGES.map(([cidr, category]) => ({ network: parseNetwork(cidr)!, category }));
const V6_TABLE = V6_RANGES.map(([cidr, category]) => ({ network: parseNetwork(cidr)!, category }));

/** An address as a number, or null when the text is not an IP address (IPv6 zone ids are refused). */
export function addressValue(address: string): { family: 4 | 6; value: bigint } | null {
  const family = isIP(address);
  if (family === 4) return { family: 4, value: ipv4Value(address) };
  if (family === 6) {
    const value = ipv6Value(address);
    return value === null ? null : { family: 6, value };
  }
  return null;
}

function ipv4Value(address: string): bigint {
  return address.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

/** Parses an IPv6 address already accepted by isIP (`::` shorthand and a dotted IPv4 tail included). */
function ipv6Value(address: string): bigint | null {
  if (address.includes("%")) return null;
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Value(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) return null;
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** Parses `address/prefix` (or a bare address: a single host). Null when it is not a network. */
export function parseNetwork(text: string): Network | null {
  const [address, prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0 || address === undefined) return null;
  const parsed = addressValue(address);
  if (!parsed) return null;
  const bits = parsed.family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  return { family: parsed.family, base: parsed.value & mask(prefix, bits), prefix };
}

/**
 * Parses a comma-separated list of CIDRs (`10.1.0.0/16, fd00::/8`). Returns the networks, or the entries that
 * are not networks.
 */
export function parseNetworkList(text: string): { networks: Network[] } | { invalid: string[] } {
  const entries = text.split(",").map((entry) => entry.trim()).filter(Boolean);
  const networks = entries.map((entry) => parseNetwork(entry));
  const invalid = entries.filter((_, i) => networks[i] === null);
  return invalid.length > 0 ? { invalid } : { networks: networks as Network[] };
}

function mask(prefix: number, bits: number): bigint {
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

function contains(network: Network, family: 4 | 6, value: bigint): boolean {
  if (network.family !== family) return false;
  const bits = family === 4 ? 32 : 128;
  return (value & mask(network.prefix, bits)) === network.base;
}

/** The IPv4 address an IPv6 one stands for (mapped, compatible, NAT64, 6to4), or null. */
function embeddedIpv4(value: bigint): bigint | null {
  if (value > 1n && EMBEDDING_V4_IN_LOW_BITS.some((n) => contains(n, 6, value))) return value & 0xffffffffn;
  if (contains(SIX_TO_FOUR, 6, value)) return (value >> 80n) & 0xffffffffn;
  return null;
}

/**
 * Why an address is not public, or null when it is a public unicast address. An IPv6 address that carries an
 * IPv4 one is judged by the IPv4 address (`::ffff:127.0.0.1` is loopback, `::ffff:8.8.8.8` is public).
 */
export function classifyAddress(address: string): AddressCategory | null {
  const parsed = addressValue(address);
  if (!parsed) return "invalid";
  if (parsed.family === 4) return V4_TABLE.find((r) => contains(r.network, 4, parsed.value))?.category ?? null;
  const v4 = embeddedIpv4(parsed.value);
  if (v4 !== null) return V4_TABLE.find((r) => contains(r.network, 4, v4))?.category ?? null;
  return V6_TABLE.find((r) => contains(r.network, 6, parsed.value))?.category ?? null;
}

/** Whether an address (or the IPv4 address an IPv6 one carries) lies in one of the networks. */
export function inNetworks(address: string, networks: readonly Network[]): boolean {
  const parsed = addressValue(address);
  if (!parsed) return false;
  if (networks.some((n) => contains(n, parsed.family, parsed.value))) return true;
  const v4 = parsed.family === 6 ? embeddedIpv4(parsed.value) : null;
  return v4 !== null && networks.some((n) => contains(n, 4, v4));
}

/** Why a request to this address is refused (its category), or null when it may be sent: public, or allow-listed. */
export function blockedAddressReason(address: string, allowed: readonly Network[]): AddressCategory | null {
  const category = classifyAddress(address);
  if (category === null || category === "invalid") return category;
  return inNetworks(address, allowed) ? null : category;
}

/**
 * Host names that are loopback by definition (RFC 6761), whatever a resolver says: `localhost`, `*.localhost`,
 * with or without the trailing dot of a fully-qualified name.
 */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** The loopback addresses a loopback name stands for. */
export const LOOPBACK_ADDRESSES = ["127.0.0.1", "::1"] as const;

/** A URL's host without IPv6 brackets, as the HTTP client connects to it (the WHATWG parser normalised it). */
export function urlHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}
