// Settings of storage (components/storage): MinIO, its volume and its load balancer.
import { z } from "zod";
import { MINIO_DEFAULTS, MINIO_EPHEMERAL_STORAGE, MINIO_IMAGE_DEFAULT } from "../components/storage";
import { ephemeralStorageSchema } from "./maintenance";
import { bool, dnsLabel, dnsName, expected, ipv4Address, pinnedImage, quantity, renderValue, Report, resourcesSchema, serviceName, strict, withDefaults } from "./primitives";

export const minioSchema = strict({
    enabled: bool.default(true).describe("Declare MinIO (needs the secrets minioRootUser and minioRootPassword)."),
    namespace: dnsLabel.default(MINIO_DEFAULTS.namespace).describe("Namespace of MinIO."),
    name: serviceName.default("minio").describe("Name of the StatefulSet and its headless Service (at most 52 characters); its claim is `data-<name>-0`."),
    image: pinnedImage.default(MINIO_IMAGE_DEFAULT).describe("MinIO's image, pinned by release tag."),
    storage: withDefaults(
        strict({
            size: quantity.default(MINIO_DEFAULTS.storageSize).describe("Size of the data volume's claim."),
            storageClass: z
                .union([z.literal(""), dnsName], expected('a StorageClass name (a DNS name), or "" for no class'))
                .optional()
                .describe("StorageClass of the claim. Not set: the cluster's default class."),
        }),
    ).describe("MinIO's data volume."),
    loadBalancer: withDefaults(
        strict({
            enabled: bool.default(true).describe("Publish the S3 API on a LoadBalancer Service."),
            name: serviceName.default(MINIO_DEFAULTS.loadBalancerName).describe("Name of that Service."),
            loadBalancerIP: ipv4Address.optional().describe("A fixed address from the MetalLB pool. Not set: MetalLB picks one."),
        }),
    ).describe("MinIO's LoadBalancer Service."),
    resources: resourcesSchema(MINIO_DEFAULTS.resources).describe("Requests and limits of MinIO's container."),
    ephemeralStorage: ephemeralStorageSchema(MINIO_EPHEMERAL_STORAGE, "MinIO's container"),
});

export type MinioConfig = z.output<typeof minioSchema>;

/** The StatefulSet controller labels each revision `<name>-<10-character hash>`, a label value of at most 63. */
const STATEFULSET_NAME_MAX = 52;

/** MinIO's rules: a name its controller can label, and its two secret keys when it is on. */
export function minioChecks(minio: MinioConfig, credentials: { user?: string; password?: string }, add: Report): void {
    if (!minio.enabled) {
        return;
    }
    if (minio.name.length > STATEFULSET_NAME_MAX) {
        add(
            ["minio", "name"],
            `${renderValue(minio.name)} is ${minio.name.length} characters (expected at most ${STATEFULSET_NAME_MAX}: the StatefulSet's revision label adds 11 to a 63-character limit)`,
        );
    }
    if (credentials.user === undefined) {
        add(["minioRootUser"], "is required when minio.enabled is true (set it with: pulumi config set --secret minioRootUser <name>)");
    }
    if (credentials.password === undefined) {
        add(["minioRootPassword"], "is required when minio.enabled is true (set it with: pulumi config set --secret minioRootPassword <password>)");
    }
}
