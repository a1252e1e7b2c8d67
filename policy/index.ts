// The policy pack: run it with `pulumi preview --policy-pack policy` (docs/security.md, "Policy pack").
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";

new PolicyPack(PACK_NAME, { enforcementLevel: "mandatory", policies: POLICIES });
