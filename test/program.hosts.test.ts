// The whole program with hosts and a k3s cluster: the cluster's kubeconfig, read back from the
// server in the same `pulumi up`, is what the platform's kubernetes.Provider uses.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue, one, ofType, settle } from "./harness";

const P = "bare-metal-platform";
let program: any;

before(async () => {
    const hosts = {
        enabled: true,
        groups: { Orchestrators: [{ name: "server", address: "192.168.56.10" }], Endpoints: [{ name: "agent1", address: "192.168.56.11" }] },
        packages: { install: ["rng-tools"] },
        k3s: { enabled: true },
    };
    pulumi.runtime.setAllConfig(
        {
            [`${P}:hosts`]: JSON.stringify(hosts),
            [`${P}:hostsSshPrivateKey`]: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n",
            [`${P}:minio`]: JSON.stringify({ enabled: false }),
            [`${P}:metallb`]: JSON.stringify({ addresses: ["192.168.56.200-192.168.56.250"] }),
            [`${P}:releases`]: JSON.stringify({ clock: { stable: { replicas: 2 }, services: [{ name: "clock" }] } }),
        },
        [`${P}:hostsSshPrivateKey`],
    );
    program = require("../index");
    await settle();
});

describe("program with hosts and k3s", () => {
    it("hands the k3s kubeconfig, as a secret, to the cluster provider", () => {
        const provider = one("pulumi:providers:kubernetes", "cluster").inputs;
        assert.ok(isSecretValue(provider.kubeconfig), "the kubeconfig is a secret");
        assert.equal(provider.kubeconfig.value, "<stdout of hosts-k3s-kubeconfig>");
    });

    it("provisions both hosts and joins the agent", () => {
        assert.deepEqual(
            ofType("command:local:Command")
                .map((r) => r.name)
                .sort(),
            ["hosts-agent1-reach", "hosts-server-reach"],
        );
        assert.deepEqual(
            ofType("command:remote:Command")
                .map((r) => r.name)
                .sort(),
            [
                "hosts-agent1-docker",
                "hosts-agent1-packages",
                "hosts-agent1-service",
                "hosts-k3s-agent-agent1",
                "hosts-k3s-kubeconfig",
                "hosts-k3s-server",
                "hosts-k3s-token",
                "hosts-server-docker",
                "hosts-server-packages",
                "hosts-server-service",
            ],
        );
    });

    it("exports the rendered inventory", () => {
        assert.equal(
            program.hostsInventory,
            "[Orchestrators]\nserver ansible_host=192.168.56.10 ansible_port=22 ansible_user=ansible\n\n[Endpoints]\nagent1 ansible_host=192.168.56.11 ansible_port=22 ansible_user=ansible\n",
        );
    });
});
