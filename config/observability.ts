// Settings of observability (components/observability): node-exporter.
import { NODE_EXPORTER_IMAGE_DEFAULT } from "../components/observability";
import { bool, dnsLabel, pinnedImage, strict } from "./primitives";

export const nodeExporterSchema = strict({
    enabled: bool.default(false),
    namespace: dnsLabel.default("monitoring"),
    image: pinnedImage.default(NODE_EXPORTER_IMAGE_DEFAULT),
});
