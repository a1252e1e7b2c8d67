export * from "./namespaces";
export * from "./security";
export * from "./networkIsolation";
export * from "./generatedKey";
export * from "./placement";
export * from "./readiness";
export * from "./wiring";
