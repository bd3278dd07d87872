// The pure rules behind SSRF-safe webhooks (domain/networks.ts, domain/webhooks.ts): which addresses are internal,
// in every spelling a URL can give them once the WHATWG parser (what the HTTP client uses) has normalised it, how
// the allow-list is parsed, and which URLs registration refuses. The end-to-end proof, with a real receiver
// that must never be reached, is webhook-ssrf.test.ts.
import { describe, expect, it } from "vitest";
import { blockedAddressReason, classifyAddress, inNetworks, parseNetworkList, urlHost, type Network } from "../../server/src/domain/networks.ts";
import { webhookUrlProblem } from "../../server/src/domain/webhooks.ts";
import { loadConfig } from "../../server/src/config.ts";

const networks = (text: string): Network[] => {
  const parsed = parseNetworkList(text);
  if (!("networks" in parsed)) throw new Error(`not networks: ${parsed.invalid.join(", ")}`);
  return parsed.networks;
};

describe("address classification", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:7f00:1", "loopback"],
    ["::127.0.0.1", "loopback"], // IPv4-compatible
    ["64:ff9b::7f00:1", "loopback"], // NAT64 well-known prefix
    ["64:ff9b::127.0.0.1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["::ffff:0.0.0.0", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a00:1", "private"],
    ["64:ff9b::c0a8:101", "private"],
    ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
    ["2002:7f00:1::", "loopback"], // 6to4 of 127.0.0.1
    ["fec0::1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["169.254.169.254", "link-local"], // cloud metadata
    ["::ffff:169.254.169.254", "link-local"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fd00:ec2::254", "unique-local"], // AWS metadata over IPv6
    ["fc00::1", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["2001::1", "reserved"], // Teredo
    ["64:ff9b:1::1", "reserved"],
    ["100::1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["2001:db8::1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["2001:2::1", "benchmarking"],
    ["fe80::1%eth0", "invalid"],
    ["example.com", "invalid"],
    ["", "invalid"],
  ])("%s is %s", (address, category) => {
    expect(classifyAddress(address)).toBe(category);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1", "169.255.0.1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])(
    "%s is public",
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it("normalises every URL spelling of an address the way the HTTP client will connect to it", () => {
    const cases: [string, string][] = [
      ["http://2130706433/", "loopback"], // decimal
      ["http://0x7f000001/", "loopback"], // hexadecimal
      ["http://0x7f.0.0.1/", "loopback"],
      ["http://0177.0.0.1/", "loopback"], // octal
      ["http://017700000001/", "loopback"],
      ["http://127.1/", "loopback"], // short form
      ["http://%31%32%37.0.0.1/", "loopback"], // percent-encoded
      ["http://[::ffff:127.0.0.1]/", "loopback"],
      ["http://[0:0:0:0:0:ffff:7f00:1]:6379/", "loopback"],
      ["http://[::1]:8080/", "loopback"],
      ["http://0/", "unspecified"],
      ["http://0x0a.0.0.1/", "private"],
      ["http://2852039166/latest/meta-data/", "link-local"], // 169.254.169.254
      ["http://[fd00:ec2::254]/", "unique-local"],
      ["HTTP://[FE80::1]/", "link-local"],
    ];
    for (const [url, category] of cases) expect([url, classifyAddress(urlHost(new URL(url)))]).toEqual([url, category]);
  });
});

describe("the allow-list", () => {
  it("parses comma-separated IPv4 and IPv6 CIDRs and bare addresses, and names the entries that are not", () => {
    const allowed = networks(" 127.0.0.1/32, 10.1.0.0/16,fd00::/8 , ::1");
    expect(allowed).toHaveLength(4);
    expect(inNetworks("10.1.200.3", allowed)).toBe(true);
    expect(inNetworks("10.2.0.1", allowed)).toBe(false);
    expect(inNetworks("fd12::1", allowed)).toBe(true);
    expect(inNetworks("::1", allowed)).toBe(true);
    // An IPv6 address carrying an allowed IPv4 one is the allowed address.
    expect(inNetworks("::ffff:127.0.0.1", allowed)).toBe(true);
    expect(inNetworks("127.0.0.2", allowed)).toBe(false);
    expect(parseNetworkList("10.0.0.0/33, localhost, 10.0.0.0/8, ::1/129, 1.2.3/8")).toEqual({ invalid: ["10.0.0.0/33", "localhost", "::1/129", "1.2.3/8"] });
  });

  it("lets an allow-listed internal address through, and nothing else", () => {
    const allowed = networks("127.0.0.1/32,192.168.0.0/16");
    expect(blockedAddressReason("127.0.0.1", allowed)).toBeNull();
    expect(blockedAddressReason("::ffff:127.0.0.1", allowed)).toBeNull();
    expect(blockedAddressReason("192.168.44.2", allowed)).toBeNull();
    expect(blockedAddressReason("127.0.0.2", allowed)).toBe("loopback");
    expect(blockedAddressReason("::1", allowed)).toBe("loopback");
    expect(blockedAddressReason("10.0.0.1", allowed)).toBe("private");
    expect(blockedAddressReason("8.8.8.8", [])).toBeNull();
  });

  it("is validated at start-up with a message naming WEBHOOK_ALLOWED_NETWORKS", () => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: "10.0.0.0/8,not-a-network" })).toThrow(/WEBHOOK_ALLOWED_NETWORKS: .*not-a-network/);
    expect(loadConfig({ WEBHOOK_ALLOWED_NETWORKS: "10.0.0.0/8, ::1" }).webhooks.allowedNetworks).toHaveLength(2);
    expect(loadConfig({}).webhooks.allowedNetworks).toEqual([]);
  });
});

describe("registration", () => {
  it("refuses URLs whose host is an internal address literal or a loopback name, naming the rule", () => {
    for (const url of [
      "http://127.0.0.1:6379/",
      "http://2130706433/",
      "http://[::ffff:127.0.0.1]/",
      "http://localhost:8080/",
      "http://LOCALHOST./",
      "http://api.localhost/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00:ec2::254]/",
      "http://10.0.0.1/",
      "https://192.168.0.10/",
      "http://[fe80::1]/",
      "http://0/",
    ]) {
      expect([url, webhookUrlProblem(url)]).toEqual([url, expect.stringMatching(/^must not point to a .+ address .*WEBHOOK_ALLOWED_NETWORKS/)]);
    }
    expect(webhookUrlProblem("http://169.254.169.254/")).toContain("link-local");
    expect(webhookUrlProblem("http://2130706433/")).toContain("loopback address (127.0.0.1)");
  });

  it("accepts public hosts, names (resolved and checked at each delivery), and allow-listed internal addresses", () => {
    for (const url of ["https://hooks.example.com/x", "http://8.8.8.8/", "https://[2606:4700::1111]/", "http://internal.corp/"]) expect(webhookUrlProblem(url)).toBeNull();
    const allowed = networks("127.0.0.1/32,10.0.0.0/8");
    for (const url of ["http://127.0.0.1:4000/", "http://localhost:4000/", "http://[::ffff:127.0.0.1]/", "http://10.2.3.4/"]) expect(webhookUrlProblem(url, allowed)).toBeNull();
    expect(webhookUrlProblem("http://192.168.0.1/", allowed)).toMatch(/private/);
  });
});
