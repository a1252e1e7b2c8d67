// Keys, ports and namespaces that more than one area reads: stated once here, at the
// bottom of the imports, so that config/, plan/, components/ and policy/ all take them from one place.

/** The pods' labels: a release's (or MinIO's) workload, its track, its version. */
export const APP_LABEL = "app";
export const TRACK_LABEL = "track";
export const VERSION_LABEL = "version";
/** The label the API server puts on every namespace, its own name: how a NetworkPolicy names a namespace. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** The label a Gateway API controller puts on the pods of a Gateway's data plane. */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

/** MetalLB's annotations on a LoadBalancer Service: the address it pins, and the key under which two Services share one. */
export const METALLB_LOAD_BALANCER_IPS = "metallb.io/loadBalancerIPs";
export const METALLB_ALLOW_SHARED_IP = "metallb.io/allow-shared-ip";

/** ingress-nginx's own namespace and IngressClass: where its controller's pods run (what NetworkPolicies let in) and the class the Ingresses name. */
export const INGRESS_NGINX = { namespace: "ingress-nginx", className: "nginx" } as const;

/** ingress-nginx's annotations on an Ingress. */
const NGINX = "nginx.ingress.kubernetes.io";
export const INGRESS_NGINX_ANNOTATIONS = {
    rewriteTarget: `${NGINX}/rewrite-target`,
    canary: `${NGINX}/canary`,
    canaryByHeader: `${NGINX}/canary-by-header`,
    canaryWeight: `${NGINX}/canary-weight`,
    backendProtocol: `${NGINX}/backend-protocol`,
    useRegex: `${NGINX}/use-regex`,
} as const;

/** Well-known ports. */
export const PORTS = {
    /** The clock app's nginx inside its container (unprivileged, so at least 1024). */
    clock: 8080,
    /** A release's Service, and a Gateway's HTTP listener, unless the config says otherwise. */
    http: 80,
    /** MinIO's S3 API. */
    minio: 9000,
    /** The cluster's DNS, TCP and UDP. */
    dns: 53,
    /** NGINX Gateway Fabric's control plane, which each data plane's agent connects to. */
    gatewayControlPlane: 8443,
    /** node-exporter's metrics. */
    nodeExporter: 9100,
} as const;

/** How long `pulumi up` waits for a rollout unless the config says otherwise, in seconds: Pulumi's own default. */
export const ROLLOUT_TIMEOUT_SECONDS = 600;

/** Namespaces that exist in every cluster: never created, never deleted by this program. */
export const BUILT_IN_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The cluster's DNS: its namespace and its pods' labels (CoreDNS as kubeadm, k3s, kind and minikube run it). */
export const CLUSTER_DNS = { namespace: "kube-system", podSelector: { "k8s-app": "kube-dns" } } as const;
