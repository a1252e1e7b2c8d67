export * from "./nodeExporter";
