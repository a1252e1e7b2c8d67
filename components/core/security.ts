// Secure pod and container defaults shared by every workload the platform declares
// (non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp).
import * as k8s from "@pulumi/kubernetes";

type ContainerSecurity = k8s.types.input.core.v1.SecurityContext;
type PodSecurity = k8s.types.input.core.v1.PodSecurityContext;

/** Options that relax the defaults, each documented where it is set. */
export interface SecurityRelaxation {
    /** Mount the root filesystem read-only. Defaults to true; set false for images that write outside their volumes. */
    readonly readOnlyRootFilesystem?: boolean;
}

/** Container securityContext meeting the `restricted` Pod Security Standard. */
export function restrictedContainer(relax: SecurityRelaxation = {}): ContainerSecurity {
    return {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: relax.readOnlyRootFilesystem ?? true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Pod securityContext meeting the `restricted` Pod Security Standard for the given uid/gid. */
export function restrictedPod(uid: number, gid: number = uid): PodSecurity {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** Namespace labels that enforce, audit and warn at one Pod Security Standards level. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
    };
}

/**
 * Annotations of a workload whose spec this program owns: `pulumi up` takes a field back from
 * whoever changed it behind the program's back (a `kubectl scale`, say) instead of failing on the
 * server-side apply conflict. The stack is the source of truth; drift is put back.
 */
export const OWNED_BY_PROGRAM = { "pulumi.com/patchForce": "true" } as const;
