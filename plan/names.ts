// The names the config does not spell out, decided once: a release's tracks, its entry (Ingress or
// Gateway), the GatewayClass its Gateway uses. config/ checks them, the plan declares them.
import { PORTS } from "../components/core/constants";
import type { ReleaseInput } from "./input";

/**
 * The Deployment, namespace and `app` label of each track of a release, and the name of its Ingress
 * (or, split "gateway", of its Gateway and HTTPRoute), with the defaults applied.
 */
export function tracksOf(name: string, r: ReleaseInput) {
    const app = r.app ?? name;
    return {
        app,
        entry: r.ingress && (r.ingress.name ?? name),
        stable: { deployment: r.stable.name ?? name, namespace: r.stable.namespace ?? r.namespace },
        canary: r.canary && { deployment: r.canary.name ?? `${name}-canary`, namespace: r.canary.namespace ?? r.namespace },
    };
}

/** What the release rules need to know of the platform's routers. */
export interface Routers {
    readonly ingressNginxEnabled: boolean;
    /** NGINX Gateway Fabric's GatewayClass, when it is enabled. */
    readonly gatewayClass?: string;
}

/** The platform's routers as the config turns them on. */
export function routersOf(cfg: { readonly ingressNginx: { readonly enabled: boolean }; readonly nginxGateway: { readonly enabled: boolean; readonly className: string } }): Routers {
    return { ingressNginxEnabled: cfg.ingressNginx.enabled, gatewayClass: cfg.nginxGateway.enabled ? cfg.nginxGateway.className : undefined };
}

/** The GatewayClass of a release's Gateway: its own, or the platform's controller's. */
export function gatewayClassOf(r: Pick<ReleaseInput, "gateway">, routers: Routers): string | undefined {
    return r.gateway?.className ?? routers.gatewayClass;
}

/** The Gateway arguments of a release with split "gateway" (parseConfig made sure it has a class). */
export function gatewayOf(routers: Routers, r: Pick<ReleaseInput, "split" | "gateway">): { className: string; loadBalancerIP?: string; port: number } | undefined {
    const className = gatewayClassOf(r, routers);
    return r.split === "gateway" && className !== undefined ? { className, loadBalancerIP: r.gateway?.loadBalancerIP, port: r.gateway?.port ?? PORTS.http } : undefined;
}

/** The Service NGINX Gateway Fabric makes for a Gateway's data plane, beside it: `<gateway>-<class>`. */
export function gatewayDataPlaneName(gateway: string, className: string): string {
    return `${gateway}-${className}`;
}
