export * from "./accessControl";
