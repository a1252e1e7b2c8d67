// bare-metal-platform: the lab's Kubernetes platform, part by part. Each block below is one
// component; config/ (one module per area) says what every setting means and what it defaults to.
import { randomUUID } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CanaryRelease, releaseChecks, Verify } from "./components/apps";
import { AccessControl } from "./components/access";
import { Namespaces, NetworkIsolation, Wiring } from "./components/core";
import { Hosts } from "./components/hosts";
import { CoreDnsExternal, Dashboard, IngressNginx, MetalLB, NginxGatewayFabric } from "./components/network";
import { NodeExporter } from "./components/observability";
import { MinIO } from "./components/storage";
import { BUILT_IN_NAMESPACES, ephemeralOf, hostsPlan, loadConfig, planOf } from "./config";
import { COMPONENT_NAMES, loadBalancerOf, releaseArgs } from "./plan";

// 1. Configuration: read and checked once; a bad value stops here, before any resource exists.
//    The plan: every object the config makes, named once (plan/), which the checks have just read.
const cfg = loadConfig();
const plan = planOf(cfg);

// 2. The hosts (optional): VMs provisioned over SSH, a k3s cluster on them, a Kickstart for new ones.
//    The run id is new on every run (in converge mode every step runs again); the plan stays pure.
const hostsPlanned = hostsPlan(cfg, randomUUID());
const hosts = hostsPlanned ? new Hosts(COMPONENT_NAMES.hosts, hostsPlanned) : undefined;

// 3. The cluster: an explicit provider, so a stack never falls back to whatever kubectl points at.
//    With hosts.k3s on, it is the k3s cluster just bootstrapped, in the same `pulumi up`.
const provider = new k8s.Provider("cluster", {
    context: cfg.cluster.context,
    kubeconfig: hosts?.kubeconfig ?? cfg.cluster.kubeconfig,
    renderYamlToDirectory: cfg.cluster.renderYamlTo,
});

// 4. Namespaces, labelled for Pod Security admission. Every other part is built through `wiring`:
//    it waits for its namespaces and only for the parts the plan says it needs first (plan.waits).
const namespaces = new Namespaces(COMPONENT_NAMES.namespaces, { namespaces: plan.namespaces, existing: BUILT_IN_NAMESPACES }, { provider });
const wiring = new Wiring(plan.waits, namespaces, provider);

// 5. Load balancing on bare metal: MetalLB in layer 2 mode.
//    Addresses that Services pin are kept out of automatic assignment (a second pool, autoAssign off).
const metallb = plan.lists("MetalLB", COMPONENT_NAMES.metallb)
    ? wiring.build("MetalLB", COMPONENT_NAMES.metallb, (w) => new MetalLB(COMPONENT_NAMES.metallb, { ...cfg.metallb, reserved: plan.pinnedAddresses() }, w.options))
    : undefined;

// 6. Ingress: ingress-nginx on a MetalLB address. Its chart installs while MetalLB's does: its
//    LoadBalancer Service is ready once MetalLB, up meanwhile, has given it the address.
const ingress = plan.lists("IngressNginx", COMPONENT_NAMES.ingressNginx)
    ? wiring.build("IngressNginx", COMPONENT_NAMES.ingressNginx, (w) => new IngressNginx(COMPONENT_NAMES.ingressNginx, cfg.ingressNginx, w.options))
    : undefined;

// 6b. The Gateway API path forward (optional): NGINX Gateway Fabric, for releases with split "gateway".
//     The Gateway API CRDs are a prerequisite (docs/gateway-api.md); each Gateway gets its own MetalLB address.
if (plan.lists("NginxGatewayFabric", COMPONENT_NAMES.nginxGateway)) {
    wiring.build("NginxGatewayFabric", COMPONENT_NAMES.nginxGateway, (w) => new NginxGatewayFabric(COMPONENT_NAMES.nginxGateway, cfg.nginxGateway, w.options));
}

// 7. CoreDNS reachable from outside the cluster (optional).
const coredns = plan.lists("CoreDnsExternal", COMPONENT_NAMES.coredns)
    ? wiring.build("CoreDnsExternal", COMPONENT_NAMES.coredns, (w) => new CoreDnsExternal(COMPONENT_NAMES.coredns, cfg.coredns, w.options))
    : undefined;

// 8. Kubernetes Dashboard behind the ingress (optional).
if (plan.lists("Dashboard", COMPONENT_NAMES.dashboard)) {
    wiring.build("Dashboard", COMPONENT_NAMES.dashboard, (w) => new Dashboard(COMPONENT_NAMES.dashboard, { ...cfg.dashboard, ingressClassName: cfg.ingressNginx.className }, w.options));
}

// 9. The clock app's releases: stable and canary tracks, split by replicas, at the ingress or at a Gateway.
//    Only what needs them waits: the Ingresses for the controller, the LoadBalancer Services for
//    MetalLB, the Gateway for its controller; the pods roll out meanwhile.
const releases = Object.keys(cfg.releases).map(
    (name) =>
        [
            name,
            wiring.build(
                "CanaryRelease",
                name,
                (w) =>
                    new CanaryRelease(
                        name,
                        { ...releaseArgs(cfg, name), ingressDependsOn: w.part("ingress"), loadBalancerDependsOn: w.part("loadBalancer"), gatewayDependsOn: w.part("gateway") },
                        w.options,
                    ),
            ),
        ] as const,
);

// 10. Access: the lab's accounts and group grants.
wiring.build("AccessControl", COMPONENT_NAMES.access, (w) => new AccessControl(COMPONENT_NAMES.access, cfg.access, w.options));

// 11. Storage: MinIO with its credentials in a Secret.
const credentials = cfg.minioCredentials;
const minio =
    plan.lists("MinIO", cfg.minio.name) && credentials
        ? wiring.build(
              "MinIO",
              cfg.minio.name,
              (w) =>
                  new MinIO(
                      cfg.minio.name,
                      {
                          namespace: cfg.minio.namespace,
                          image: cfg.minio.image,
                          rootUser: credentials.user,
                          rootPassword: credentials.password,
                          storageSize: cfg.minio.storage.size,
                          storageClass: cfg.minio.storage.storageClass,
                          loadBalancer: loadBalancerOf(cfg.minio.loadBalancer),
                          resources: cfg.minio.resources,
                          readOnlyRootFilesystem: cfg.security.readOnlyRootFilesystem,
                          rolloutTimeoutSeconds: cfg.rolloutTimeoutSeconds,
                          ephemeralStorage: ephemeralOf(cfg.minio.ephemeralStorage),
                          loadBalancerDependsOn: w.part("loadBalancer"),
                      },
                      w.options,
                  ),
          )
        : undefined;

// 12. Observability: node-exporter on every node (optional).
if (plan.lists("NodeExporter", COMPONENT_NAMES.nodeExporter)) {
    wiring.build(
        "NodeExporter",
        COMPONENT_NAMES.nodeExporter,
        (w) => new NodeExporter(COMPONENT_NAMES.nodeExporter, { ...cfg.nodeExporter, ephemeralStorage: ephemeralOf(cfg.nodeExporter.ephemeralStorage) }, w.options),
    );
}

// 13. Network isolation: default deny in the app namespaces, opened for DNS, the ingress controller
//     and the ports that NodePort and LoadBalancer Services publish (security.networkPolicies).
if (plan.lists("NetworkIsolation", COMPONENT_NAMES.netpol)) {
    const args = { namespaces: plan.openings, ingressControllerNamespace: cfg.ingressNginx.namespace, extraSourceNamespaces: cfg.security.extraSourceNamespaces };
    wiring.build("NetworkIsolation", COMPONENT_NAMES.netpol, (w) => new NetworkIsolation(COMPONENT_NAMES.netpol, args, w.options));
}

// 14. The verify step (on unless verify.enabled is false): once the releases' Services and routes
//     exist and their NetworkPolicies are in place, a Job requests each of them until its page names
//     the expected version, beside the rollouts, and fails `pulumi up` if one never does. A release
//     change runs it again.
if (plan.lists("Verify", COMPONENT_NAMES.verify)) {
    const ingressAddress = ingress?.address ?? pulumi.output(cfg.ingressNginx.loadBalancerIP);
    const checks = pulumi.all(
        releases.map(([name, release]) => {
            const r = cfg.releases[name];
            return releaseChecks(name, r, Object.values(release.services), r.split === "gateway" ? (release.gatewayAddress ?? pulumi.output(undefined)) : ingressAddress);
        }),
    );
    const args = { namespace: cfg.verify.namespace, checks: checks.apply((lists) => lists.flat()), trigger: cfg.releases, timeoutSeconds: cfg.rolloutTimeoutSeconds };
    wiring.build("Verify", COMPONENT_NAMES.verify, (w) => new Verify(COMPONENT_NAMES.verify, args, w.options));
}

// Stack outputs: what a person wants after `pulumi up` — only those of the parts this stack has
// (an undefined export would print "Undefined value … will not show as a stack output").
const outputs = {
    appUrls: Object.fromEntries(releases.flatMap(([name, r]) => (r.url ? [[name, r.url]] : []))),
    canaryCurl: Object.fromEntries(releases.flatMap(([name, r]) => (r.canaryCurl ? [[name, r.canaryCurl]] : []))),
    gatewayAddresses: releases.some(([, r]) => r.gatewayAddress) ? pulumi.output(Object.fromEntries(releases.flatMap(([name, r]) => (r.gatewayAddress ? [[name, r.gatewayAddress]] : [])))) : undefined,
    ingressAddress: ingress?.address,
    loadBalancerPool: metallb?.addresses,
    corednsAddress: coredns?.address,
    minioEndpoint: minio?.endpoint,
    hostsInventory: hosts?.inventory,
    artifactOutputs: hosts?.artifactOutputs,
    hostsRecap: hosts?.recap,
    kickstartPath: hosts?.kickstartPath,
};
export = Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)) as Partial<typeof outputs>;
