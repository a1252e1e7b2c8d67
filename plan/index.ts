// The plan: what the config makes, decided once by pure functions. config/ feeds it and
// checks it; components/ render it.
//
//   input.ts     what the plan reads of the parsed config
//   args.ts      the components' arguments made of the config, for index.ts and platformPlan alike
//   names.ts     the names the config leaves out: the components', tracks, entries, GatewayClasses
//   platform.ts  platformPlan: the components' plans folded, each part's objects under its config area
//   security.ts  the namespaces' Pod Security levels and the NetworkPolicy openings, each with its config entry
export type { ConfigPath, PlanInput, ReleaseInput, ServiceInput, TrackInput } from "./input";
export { gatewayDataPlaneName } from "../components/apps/canaryReleasePlan";
export { budgetOf, ephemeralOf, loadBalancerOf, releaseArgs, spreadOf } from "./args";
export { COMPONENT_NAMES, gatewayClassOf, gatewayOf, listenerPort, routersOf, tracksOf, verifyNamespaceOf } from "./names";
export type { Routers } from "./names";
export { objectId, platformPlan, pulumiType } from "./platform";
export type { Labels, Pin, PlannedComponent, PlannedObject, PlannedResource, PlatformPlan, Source } from "./platform";
export { namespacePlan, networkPolicyPlan, openingsPlan } from "./security";
export type { PlannedOpening } from "./security";
