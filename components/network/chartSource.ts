// How a pinned chart reaches Helm: an http(s) repository is a repositoryOpts.repo, while an OCI
// registry is not a chart repository for Helm ("not a valid chart repository") and is given as
// the chart reference itself.

/** A chart repository (http(s):// or oci://) and an exact chart version. */
export interface ChartSource {
    readonly repo: string;
    readonly version: string;
}

/** The `chart`, `version` and `repositoryOpts` arguments of a `helm.v4.Chart` for `chart` from `source`. */
export function chartArgs(chart: string, source: ChartSource): { chart: string; version: string; repositoryOpts?: { repo: string } } {
    if (source.repo.startsWith("oci://")) {
        return { chart: `${source.repo.replace(/\/+$/, "")}/${chart}`, version: source.version };
    }
    return { chart, version: source.version, repositoryOpts: { repo: source.repo } };
}
