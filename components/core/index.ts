export * from "./namespaces";
export * from "./security";
