// The dependsOn of every component, from the plan's waits (plan/platform.ts says what each component
// waits for, and why): index.ts builds each component through `build`, which gives it the cluster's
// provider, its namespaces and the components it waits for, and keeps it for those that wait for it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Namespaces } from "./namespaces";
import type { ComponentWaits, WaitingPart } from "./planned";

/** What a component's constructor gets: its options (provider, dependsOn), and what each of its parts waits for besides. */
export interface Wired {
    readonly options: { readonly provider: k8s.Provider; readonly dependsOn: pulumi.Resource[] };
    /** The components a part of it waits for (its LoadBalancer Services, Ingresses, Gateway), or undefined when none. */
    part(part: Exclude<WaitingPart, "all">): pulumi.Resource[] | undefined;
}

export class Wiring {
    private readonly built = new Map<string, pulumi.Resource>();

    constructor(
        private readonly waits: (type: string, name: string) => ComponentWaits,
        private readonly namespaces: Namespaces,
        private readonly provider: k8s.Provider,
    ) {}

    /** Builds component `type` `name` with what it waits for, and keeps it for the components that wait for it. */
    build<T extends pulumi.Resource>(type: string, name: string, make: (wired: Wired) => T): T {
        const w = this.waits(type, name);
        const of = (part: WaitingPart) => w.on.filter((x) => x.part === part).map((x) => this.resolve(type, name, x));
        const component = make({
            options: { provider: this.provider, dependsOn: [...this.namespaces.dependenciesFor(...w.namespaces), ...of("all")] },
            part: (part) => {
                const waited = of(part);
                return waited.length > 0 ? waited : undefined;
            },
        });
        this.built.set(`${type} ${name}`, component);
        return component;
    }

    private resolve(type: string, name: string, on: { type: string; name: string }): pulumi.Resource {
        const found = this.built.get(`${on.type} ${on.name}`);
        if (found === undefined) throw new Error(`index.ts builds ${type} ${name} before ${on.type} ${on.name}, which it waits for`);
        return found;
    }
}
