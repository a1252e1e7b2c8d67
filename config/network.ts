// Settings of the network parts (components/network): MetalLB, ingress-nginx, CoreDNS outside the
// cluster and the dashboard; the rules on load-balancer addresses.
import { z } from "zod";
import {
    COREDNS_EXTERNAL_DEFAULTS,
    DASHBOARD_CHART_DEFAULT,
    DASHBOARD_DEFAULTS,
    INGRESS_NGINX_CHART_DEFAULT,
    INGRESS_NGINX_DEFAULTS,
    METALLB_CHART_DEFAULT,
    METALLB_DEFAULTS,
    NGINX_GATEWAY_CHART_DEFAULT,
    NGINX_GATEWAY_DEFAULTS,
} from "../components/network";
import { parseIpv4, parseIpv4Range, poolContains } from "../components/network/ipv4";
import type { PlatformPlan } from "../plan";
import { INT32_MAX } from "./grammar";
import { bool, chartSource, dnsLabel, dnsName, expected, formatPath, ingressHost, intIn, ipv4Address, ipv4Pool, matching, renderValue, Report, strict } from "./primitives";

/** The IPAddressPool's name: a DNS name of at most 244, as its reserved pool is `<poolName>-reserved`. */
const POOL = "a pool name (a DNS name: lowercase letters, digits and '-', in labels separated by '.'; at most 244, as the reserved pool adds '-reserved')";
const poolName = dnsName.refine((s) => s.length <= 244, expected(POOL));

/** A Linux network interface name as the kernel accepts one (dev_valid_name: 1 to 15 bytes, no "/", ":" or whitespace, not "." or ".."). */
const INTERFACE_NAME = 'a network interface name such as "eth1" (1 to 15 bytes, no "/", ":" or whitespace)';
const networkInterface = matching(/^(?!\.\.?$)[^/:\s]+$/, INTERFACE_NAME).refine((name) => Buffer.byteLength(name) <= 15, expected(INTERFACE_NAME));

export const metallbSchema = strict({
    enabled: bool.default(true).describe("Declare MetalLB and its address pool."),
    install: bool.default(METALLB_DEFAULTS.install).describe("Install MetalLB's chart. false: MetalLB is already installed; only the pool and its advertisement are declared."),
    namespace: dnsLabel.default(METALLB_DEFAULTS.namespace).describe("Namespace of MetalLB."),
    chart: chartSource(METALLB_CHART_DEFAULT).describe("MetalLB's Helm chart: repository URL and exact version."),
    poolName: poolName.default(METALLB_DEFAULTS.poolName).describe("Name of the IPAddressPool; addresses that Services pin go into a second pool `<poolName>-reserved` with autoAssign off."),
    addresses: z
        .array(ipv4Pool, expected("a list of IPv4 ranges or CIDRs"))
        .min(1, expected("a non-empty list of IPv4 ranges or CIDRs"))
        .default(["172.17.255.1-172.17.255.255"])
        .describe("The pool: IPv4 ranges (`A.B.C.D-E.F.G.H`) or CIDRs, on the nodes' own network (docs/getting-started.md#a-pool-that-fits-your-cluster)."),
    interfaces: z
        .array(networkInterface, expected("a list of network interface names"))
        .optional()
        .describe("Announce the pool (answer ARP) only on these network interfaces of the nodes, e.g. `[eth1]` for a dedicated NIC. Not set: every interface MetalLB does not exclude by itself."),
});

export const ingressNginxSchema = strict({
    enabled: bool.default(true).describe("Declare ingress-nginx, the controller of the releases' Ingresses."),
    install: bool.default(INGRESS_NGINX_DEFAULTS.install).describe("Install its chart. false: a controller is already installed."),
    namespace: dnsLabel.default(INGRESS_NGINX_DEFAULTS.namespace).describe("Namespace of the controller."),
    chart: chartSource(INGRESS_NGINX_CHART_DEFAULT).describe("ingress-nginx's Helm chart: repository URL and exact version."),
    className: dnsName.default(INGRESS_NGINX_DEFAULTS.className).describe("The IngressClass the releases' Ingresses name."),
    loadBalancerIP: ipv4Address.optional().describe("A fixed address from the MetalLB pool for the controller's LoadBalancer Service. Not set: MetalLB picks one."),
    replicas: intIn(1, INT32_MAX).default(INGRESS_NGINX_DEFAULTS.replicas).describe("Controller replicas."),
});

/** NGINX Gateway Fabric: the Gateway API controller for releases with split "gateway". */
export const nginxGatewaySchema = strict({
    enabled: bool.default(false).describe("Declare NGINX Gateway Fabric, for releases with split `gateway` (the Gateway API CRDs are a prerequisite: docs/gateway-api.md)."),
    install: bool.default(NGINX_GATEWAY_DEFAULTS.install).describe("Install its chart. false: a controller is already installed (its GatewayClass must exist)."),
    namespace: dnsLabel.default(NGINX_GATEWAY_DEFAULTS.namespace).describe("Namespace of the controller."),
    chart: chartSource(NGINX_GATEWAY_CHART_DEFAULT).describe("NGINX Gateway Fabric's Helm chart: repository URL (oci://) and exact version."),
    className: dnsName.default(NGINX_GATEWAY_DEFAULTS.className).describe("The GatewayClass the chart creates and the releases' Gateways use."),
});

export const corednsSchema = strict({
    enabled: bool.default(false).describe("Publish the cluster's CoreDNS outside the cluster on TCP and UDP 53 (two LoadBalancer Services in kube-system)."),
    address: ipv4Address.default("172.17.255.2").describe("The one address both Services share; must be in the MetalLB pool."),
    sharingKey: dnsLabel.default(COREDNS_EXTERNAL_DEFAULTS.sharingKey).describe("MetalLB's allow-shared-ip key that lets the two Services share the address."),
});

export const dashboardSchema = strict({
    enabled: bool.default(false).describe("Declare the Kubernetes Dashboard behind the ingress (needs ingressNginx.enabled)."),
    install: bool.default(DASHBOARD_DEFAULTS.install).describe("Install its chart. false: the Dashboard is already installed; only its Ingress is declared."),
    namespace: dnsLabel.default(DASHBOARD_DEFAULTS.namespace).describe("Namespace of the Dashboard."),
    chart: chartSource(DASHBOARD_CHART_DEFAULT).describe("The Dashboard's Helm chart: repository URL and exact version."),
    path: matching(/^\/[a-z0-9-]+$/, 'a path such as "/dashboard"')
        .default(DASHBOARD_DEFAULTS.path)
        .describe("Path of the Dashboard on the ingress."),
    host: ingressHost.optional().describe("Host of the Dashboard's Ingress rule. Not set: any host."),
});

/** What the network rules read: the pool, and which routers are on. */
interface NetworkView {
    readonly metallb: { readonly enabled: boolean; readonly addresses: readonly string[] };
    readonly ingressNginx: { readonly enabled: boolean };
    readonly dashboard: { readonly enabled: boolean };
}

/**
 * MetalLB's rules, checked before anything is sent: pool entries that overlap (its webhook refuses
 * them), pinned addresses outside the pool, and one address pinned by two Services that do not share
 * it under one sharing key (MetalLB would leave the second one pending). The pins are the plan's.
 */
export function networkChecks(cfg: NetworkView, plan: Pick<PlatformPlan, "pins">, add: Report): void {
    const ranges = cfg.metallb.addresses.map((entry) => ({ entry, range: parseIpv4Range(entry) }));
    ranges.forEach((a, i) => {
        const before = ranges.slice(0, i).find((b) => a.range && b.range && a.range.first <= b.range.last && b.range.first <= a.range.last);
        if (before !== undefined) {
            add(["metallb", "addresses", i], `${renderValue(a.entry)} overlaps ${renderValue(before.entry)} (expected pool entries that do not overlap, as MetalLB requires)`);
        }
    });
    const pool = cfg.metallb.addresses;
    // A setting pins once however many objects carry its address (CoreDNS's TCP and UDP Services
    // share coredns.address), so each is judged once.
    const pins = plan.pins().filter((pin, i, all) => all.findIndex((p) => formatPath(p.source.path) === formatPath(pin.source.path)) === i);
    // Without MetalLB (metallb.enabled false) another load balancer hands out the addresses, from a pool this program does not know.
    for (const { address, source } of cfg.metallb.enabled ? pins : []) {
        if (parseIpv4(address) !== undefined && !poolContains(pool, address)) {
            add(source.path, `${renderValue(address)} is outside the MetalLB pool (expected an address in ${pool.join(", ")})`);
        }
    }
    pins.forEach((pin, i) => {
        const other = pins.slice(0, i).find((p) => p.address === pin.address && (p.sharingKey === undefined || p.sharingKey !== pin.sharingKey));
        if (other !== undefined) {
            add(
                pin.source.path,
                `${renderValue(pin.address)} is already pinned by ${formatPath(other.source.path)} (expected one address per LoadBalancer Service, unless both share it with one sharing key)`,
            );
        }
    });
    if (cfg.dashboard.enabled && !cfg.ingressNginx.enabled) {
        add(["dashboard", "enabled"], "true needs ingressNginx.enabled true (the dashboard is published through the ingress)");
    }
}
