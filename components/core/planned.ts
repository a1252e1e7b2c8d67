// A planned object: what every component's plan says of each Kubernetes object it makes, before anything
// is registered. The component renders exactly these; plan/ composes them into the platform's plan.
import type { WorkloadOpening } from "./opening";
import type { PodSecurityLevel } from "./security";

export type Labels = Readonly<Record<string, string>>;

/** A setting as a path: `["stable", "name"]` within a component's settings, `["releases", "web", "stable", "name"]` in the stack's config. */
export type ConfigPath = readonly (string | number)[];

/**
 * The setting that made something, and its value (what a message quotes). A component's plan gives the
 * path within its own settings (its arguments, as its config area spells them); plan/ prefixes the area.
 */
export interface Source {
    readonly path: ConfigPath;
    readonly value: unknown;
}

/** A Pulumi resource: its name, and its type as a message names it (`ClockApp/Deployment`: the kind under its component). */
export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    readonly source: Source;
}

/** An address a Service pins in MetalLB, with the key under which it may share it. */
export interface Pin {
    readonly address: string;
    readonly sharingKey?: string;
    readonly source: Source;
}

/** One Kubernetes object a component makes. */
export interface PlannedObject {
    readonly apiVersion: string;
    readonly kind: string;
    /** Absent: cluster-scoped. */
    readonly namespace?: string;
    /** metadata.name. Absent: Pulumi names it after its resource (`<resource>-<suffix>`). */
    readonly name?: string;
    /**
     * Who puts it in the cluster: the program (a Pulumi resource), a controller acting on one (NGINX
     * Gateway Fabric's data-plane Service of a Gateway), or a chart (ingress-nginx's controller Service).
     */
    readonly by: "program" | "controller" | "chart";
    /** The program's Pulumi resource for it (by "program" only). */
    readonly resource?: PlannedResource;
    /** A namespace that exists already: labelled in place (a NamespacePatch), never created. */
    readonly patch?: boolean;
    readonly source: Source;
    /** Its name is built from a setting's value (`<release>-canary`…), so it is held to its kind's name grammar. */
    readonly derived?: boolean;
    readonly labels?: Labels;
    /** The pods it selects (a workload's, a Service's, a budget's), and the setting that set their `app` label. */
    readonly selector?: { readonly labels: Labels; readonly source: Source };
    /** The ports it serves (a Service's), listens on (a Gateway's) or opens (a NetworkPolicy's). */
    readonly ports?: readonly number[];
    readonly pin?: Pin;
    /** A namespace's Pod Security level. */
    readonly level?: PodSecurityLevel;
    /** A NetworkPolicy's opening (absent for the namespace's default-deny and DNS policies). */
    readonly opening?: WorkloadOpening;
}

/** A planned object the program registers: its Pulumi resource is always there. */
export type DeclaredObject = PlannedObject & { readonly by: "program"; readonly resource: PlannedResource };

/** A component resource of the program, by its type and name. */
export interface PlannedComponent {
    readonly type: string;
    readonly name: string;
    readonly source: Source;
}

/** An object component `owner` registers as Pulumi resource `resourceName`; the resource's own setting defaults to the object's. */
export function declared(owner: string, resourceName: string, o: Omit<PlannedObject, "by" | "resource">, resourceSource: Source = o.source): DeclaredObject {
    return { ...o, by: "program", resource: { type: `${owner}/${o.kind}`, name: resourceName, source: resourceSource } };
}

/** `o` made by `source`: the object's, its resource's and its selector's setting (a part's plan knows it; the platform's says it). */
export function withSource(o: DeclaredObject, source: Source): DeclaredObject {
    return { ...o, source, resource: { ...o.resource, source }, ...(o.selector ? { selector: { ...o.selector, source } } : {}) };
}

/** `o` with every setting it names (its own, its resource's, its selector's, its pin's) taken as under `prefix`. */
export function under<T extends PlannedObject | PlannedComponent>(prefix: ConfigPath, o: T): T {
    const at = (s: Source): Source => ({ path: [...prefix, ...s.path], value: s.value });
    const p = o as PlannedObject;
    return {
        ...o,
        source: at(o.source),
        ...(p.resource ? { resource: { ...p.resource, source: at(p.resource.source) } } : {}),
        ...(p.selector ? { selector: { ...p.selector, source: at(p.selector.source) } } : {}),
        ...(p.pin ? { pin: { ...p.pin, source: at(p.pin.source) } } : {}),
    };
}

/** Which objects of a component wait: all of them, or only its LoadBalancer Services, its Ingresses, its Gateway. */
export type WaitingPart = "all" | "loadBalancer" | "ingress" | "gateway";

/** A component another waits for, and why the API server or a controller needs it first. */
export interface Wait {
    readonly type: string;
    readonly name: string;
    readonly part: WaitingPart;
    readonly why: string;
}

/** What a component waits for before its objects are created: the namespaces they live in, and other components. */
export interface ComponentWaits {
    readonly namespaces: readonly string[];
    readonly on: readonly Wait[];
}
