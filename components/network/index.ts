export * from "./coreDnsExternal";
export * from "./dashboard";
export * from "./ingressNginx";
export * from "./ipv4";
export * from "./metallb";
export * from "./chartSource";
export * from "./nginxGatewayFabric";
