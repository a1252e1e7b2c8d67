export * from "./canaryRelease";
export * from "./clockApp";
export * from "./page";
export * from "./strategy";
export * from "./verify";
