// Which cluster the program targets (the provider in index.ts).
import { nonEmpty, strict } from "./primitives";

export const clusterSchema = strict({
    context: nonEmpty("a kubeconfig context name").optional().describe("kubeconfig context to target. Not set: the kubeconfig's current context."),
    kubeconfig: nonEmpty("a kubeconfig path or contents").optional().describe("Path to a kubeconfig file, or its contents. Not set: $KUBECONFIG or ~/.kube/config."),
    renderYamlTo: nonEmpty("a folder path").optional().describe("Render the manifests into this folder instead of applying them (no cluster is changed)."),
});
