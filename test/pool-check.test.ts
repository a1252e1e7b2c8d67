// npm run deploy's warning when the MetalLB pool lies on no node's network (scripts/pool-check.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { metallbOf, nodeAddressesOf, poolWarning } from "../scripts/pool-check";

const DEV_POOL = ["172.17.255.1-172.17.255.255"];
const node = (...addresses: [string, string][]) => ({ status: { addresses: addresses.map(([type, address]) => ({ type, address })) } });

describe("pool check", () => {
    it("warns when the dev pool meets kind's or minikube's nodes, naming pool, nodes and the docs", () => {
        assert.equal(
            poolWarning(DEV_POOL, ["172.18.0.2", "172.18.0.3"]),
            "metallb.addresses 172.17.255.1-172.17.255.255 is outside every node's network (no node address in the same /16: 172.18.0.2, 172.18.0.3); " +
                "MetalLB would hand out addresses nobody can reach. Set a pool on the nodes' network: docs/getting-started.md#a-pool-that-fits-your-cluster",
        );
        assert.match(poolWarning(DEV_POOL, ["192.168.49.2"]) ?? "", /no node address in the same \/16: 192\.168\.49\.2\)/);
    });

    it("is quiet for the pools docs/getting-started.md gives, and when there is nothing to compare", () => {
        assert.equal(poolWarning(["172.18.255.200-172.18.255.250"], ["172.18.0.2"]), undefined); // kind
        assert.equal(poolWarning(["192.168.49.200-192.168.49.250"], ["192.168.49.2"]), undefined); // minikube, docker driver
        assert.equal(poolWarning(["10.0.0.0/8"], ["10.244.1.5"]), undefined); // a CIDR wider than /16
        assert.equal(poolWarning(["192.168.56.200-192.168.56.250"], ["10.0.0.1", "192.168.56.10"]), undefined); // one node is enough
        assert.equal(poolWarning(DEV_POOL, []), undefined);
    });

    it("reads InternalIP addresses, ExternalIP only for a node without one", () => {
        const list = {
            items: [node(["InternalIP", "172.18.0.2"], ["Hostname", "kind-control-plane"]), node(["ExternalIP", "203.0.113.7"]), node(["InternalIP", "10.0.0.3"], ["ExternalIP", "203.0.113.8"])],
        };
        assert.deepEqual(nodeAddressesOf(list), ["172.18.0.2", "203.0.113.7", "10.0.0.3"]);
    });

    it("reads the pool from the stack file, at its default when the stack sets none", () => {
        assert.deepEqual(metallbOf(fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8")).addresses, DEV_POOL);
        assert.deepEqual(metallbOf(fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8")).addresses, ["192.168.56.200-192.168.56.250"]);
        assert.deepEqual(metallbOf("config: {}\n").addresses, DEV_POOL);
    });

    it("as deploy.sh runs it: one warning line on stderr for the stack file of the folder it runs in, exit 0", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-pool-"));
        try {
            // A project folder as deploy.sh sees one (the e2e suite's scratch folders link node_modules too).
            fs.symlinkSync(path.join(__dirname, "..", "node_modules"), path.join(dir, "node_modules"));
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml")));
            const nodes = JSON.stringify({ items: [node(["InternalIP", "192.168.49.2"])] });
            const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "scripts", "pool-check.ts"), "dev"], { cwd: dir, input: nodes, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stderr, /^deploy: warning: metallb\.addresses 172\.17\.255\.1-172\.17\.255\.255 is outside every node's network/);
            const quiet = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "scripts", "pool-check.ts"), "dev"], { cwd: dir, input: "not json", encoding: "utf8" });
            assert.deepEqual([quiet.status, quiet.stderr], [0, ""]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
