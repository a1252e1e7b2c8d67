// Which cluster the program targets (the provider in index.ts).
import { nonEmpty, strict } from "./primitives";

export const clusterSchema = strict({
    /** kubeconfig context to target; defaults to the kubeconfig's current context. */
    context: nonEmpty("a kubeconfig context name").optional(),
    /** Path to a kubeconfig file (or its contents); defaults to $KUBECONFIG or ~/.kube/config. */
    kubeconfig: nonEmpty("a kubeconfig path or contents").optional(),
    /** Render manifests into this folder instead of applying them. */
    renderYamlTo: nonEmpty("a folder path").optional(),
});
