// Settings of observability (components/observability): node-exporter.
import { NODE_EXPORTER_DEFAULTS, NODE_EXPORTER_EPHEMERAL_STORAGE, NODE_EXPORTER_IMAGE_DEFAULT } from "../components/observability";
import { ephemeralStorageSchema } from "./maintenance";
import { bool, dnsLabel, pinnedImage, strict } from "./primitives";

export const nodeExporterSchema = strict({
    enabled: bool.default(false).describe("Declare node-exporter as a DaemonSet on every node."),
    namespace: dnsLabel.default(NODE_EXPORTER_DEFAULTS.namespace).describe("Namespace of node-exporter."),
    image: pinnedImage.default(NODE_EXPORTER_IMAGE_DEFAULT).describe("node-exporter's image, pinned by tag."),
    ephemeralStorage: ephemeralStorageSchema(NODE_EXPORTER_EPHEMERAL_STORAGE, "node-exporter's container"),
});
