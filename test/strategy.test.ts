import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploymentStrategy, rollingProblem } from "../components/apps/strategy";

describe("strategy presets", () => {
    it("maps each preset to the lab's Deployment strategy", () => {
        assert.deepEqual(deploymentStrategy({ type: "rolling", maxSurge: "25%", maxUnavailable: "25%" }, 4), { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
        assert.deepEqual(deploymentStrategy({ type: "rolling", maxSurge: "40%", maxUnavailable: 2 }, 4), { type: "RollingUpdate", rollingUpdate: { maxSurge: "40%", maxUnavailable: 2 } });
        assert.deepEqual(deploymentStrategy({ type: "recreate" }, 4), { type: "Recreate" });
        assert.deepEqual(deploymentStrategy({ type: "blueGreen" }, 3), { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 0 } });
        assert.deepEqual(deploymentStrategy({ type: "reverse" }, 3), { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });
    });
    it("keeps blue-green valid at zero replicas", () => {
        assert.deepEqual(deploymentStrategy({ type: "blueGreen" }, 0), { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    });
    it("refuses both zero, as the API server would", () => {
        assert.equal(rollingProblem(0, "0%"), 'maxSurge 0 and maxUnavailable "0%" are both zero (the API server rejects this: expected at least one above zero)');
        assert.equal(rollingProblem(0, "100%"), undefined);
        assert.equal(rollingProblem("100%", 0), undefined);
        assert.equal(rollingProblem("000%", 0), 'maxSurge "000%" and maxUnavailable 0 are both zero (the API server rejects this: expected at least one above zero)');
    });
    it("lets maxSurge exceed 100% and caps maxUnavailable at it, as the API server does", () => {
        assert.equal(rollingProblem("150%", "100%"), undefined);
        assert.equal(rollingProblem(1, "101%"), 'maxUnavailable "101%" is above 100% (the API server rejects this: expected at most "100%"; maxSurge may exceed it)');
    });
});
