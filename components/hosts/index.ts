export * from "./hosts";
export * from "./inventory";
export * from "./kickstart";
export * from "./scripts";
