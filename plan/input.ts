// What the plan reads: the parts of the parsed config (config/index.ts's PlatformConfig fits) that
// decide which objects exist and what they are called. Declared here, not imported, so that plan/
// sits below config/ (config → plan → components) and never imports back up.
import type { CanaryReleaseArgs } from "../components/apps/canaryReleasePlan";
import type { PodSecurityLevel } from "../components/core";
export type { ConfigPath } from "../components/core/planned";

/** One track of a release (its defaults applied by the schema, its names by {@link tracksOf}). */
export interface TrackInput {
    readonly name?: string;
    readonly namespace?: string;
    readonly version: string;
    readonly replicas: number;
    readonly broken?: boolean;
}

export interface ServiceInput {
    readonly name: string;
    readonly type: "ClusterIP" | "Headless" | "NodePort" | "LoadBalancer";
    readonly port: number;
    readonly loadBalancerIP?: string;
}

/** One release: what its plan reads (names, Services, entry) and what its tracks are given as they are (strategy, resources, page). */
export interface ReleaseInput extends Pick<CanaryReleaseArgs, "pageDelivery" | "strategy" | "resources"> {
    readonly namespace: string;
    readonly app?: string;
    readonly port: number;
    readonly split: "replicas" | "ingress" | "gateway";
    readonly stable: TrackInput;
    readonly canary?: TrackInput & { readonly weight?: number; readonly header?: string };
    readonly services: readonly ServiceInput[];
    readonly ingress?: { readonly name?: string; readonly host?: string; readonly path: string; readonly service?: string; readonly rewriteTarget?: string };
    readonly gateway?: { readonly className?: string; readonly loadBalancerIP?: string; readonly port: number; readonly dataPlaneNamespace?: string };
    readonly disruptionBudget: { readonly enabled: boolean; readonly maxUnavailable?: number | string };
    readonly topologySpread: { readonly enabled: boolean; readonly whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule"; readonly maxSkew: number; readonly zone: boolean };
    readonly ephemeralStorage: { readonly enabled: boolean; readonly request: string; readonly limit: string };
}

export interface PlanInput {
    readonly rolloutTimeoutSeconds: number;
    readonly releases: Readonly<Record<string, ReleaseInput>>;
    readonly metallb: { readonly enabled: boolean; readonly install: boolean; readonly namespace: string; readonly poolName: string; readonly addresses: readonly string[] };
    readonly ingressNginx: { readonly enabled: boolean; readonly install: boolean; readonly namespace: string; readonly className: string; readonly loadBalancerIP?: string };
    readonly nginxGateway: { readonly enabled: boolean; readonly install: boolean; readonly namespace: string; readonly className: string };
    readonly coredns: { readonly enabled: boolean; readonly address: string; readonly sharingKey: string };
    readonly dashboard: { readonly enabled: boolean; readonly install: boolean; readonly namespace: string };
    readonly access: {
        readonly accounts: readonly { readonly name: string; readonly namespace: string; readonly grant?: { readonly clusterRole: string; readonly namespace?: string } }[];
        readonly groups: readonly { readonly namespace: string; readonly clusterRole: string }[];
    };
    readonly minio: {
        readonly enabled: boolean;
        readonly namespace: string;
        readonly name: string;
        readonly loadBalancer: { readonly enabled: boolean; readonly name: string; readonly loadBalancerIP?: string };
    };
    readonly nodeExporter: { readonly enabled: boolean; readonly namespace: string };
    readonly security: { readonly readOnlyRootFilesystem: boolean; readonly appNamespaceLevel: PodSecurityLevel; readonly networkPolicies: boolean; readonly extraSourceNamespaces: readonly string[] };
    readonly verify: { readonly enabled: boolean; readonly namespace: string };
}
