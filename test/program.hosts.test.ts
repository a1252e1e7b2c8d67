// The whole program with hosts and a k3s cluster: the cluster's kubeconfig, read back from the
// server in the same `pulumi up`, is what the platform's kubernetes.Provider uses.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue, one, ofType, plainStrings, recorded, settle } from "./harness";

const P = "bare-metal-platform";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material-0123\n-----END OPENSSH PRIVATE KEY-----\n";
const PASSWORD = "kickstart-secret-42";
let program: any;

before(async () => {
    const hosts = {
        enabled: true,
        converge: true,
        groups: { Orchestrators: [{ name: "server", address: "192.168.56.10" }], Endpoints: [{ name: "agent1", address: "192.168.56.11" }] },
        // The CLI hands the program a config map with its keys sorted: the order is stated.
        groupOrder: ["Orchestrators", "Endpoints"],
        packages: { install: ["rng-tools"] },
        k3s: { enabled: true },
        kickstart: { enabled: true, hostname: "server", path: "rendered/kickstart/server.cfg" },
    };
    pulumi.runtime.setAllConfig(
        {
            [`${P}:hosts`]: JSON.stringify(hosts),
            [`${P}:hostsSshPrivateKey`]: KEY,
            [`${P}:kickstartPassword`]: PASSWORD,
            [`${P}:minio`]: JSON.stringify({ enabled: false }),
            [`${P}:metallb`]: JSON.stringify({ addresses: ["192.168.56.200-192.168.56.250"] }),
            [`${P}:releases`]: JSON.stringify({ clock: { stable: { replicas: 2 }, services: [{ name: "clock" }] } }),
        },
        [`${P}:hostsSshPrivateKey`, `${P}:kickstartPassword`],
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
            ["hosts-agent1-reach", "hosts-kickstart", "hosts-server-reach"],
        );
        assert.deepEqual(
            ofType("command:remote:Command")
                .map((r) => r.name)
                .sort(),
            [
                "hosts-agent1-docker",
                "hosts-agent1-inventory",
                "hosts-agent1-packages",
                "hosts-agent1-service",
                "hosts-k3s-agent-agent1",
                "hosts-k3s-drain-agent1",
                "hosts-k3s-kubeconfig",
                "hosts-k3s-probe-agent1",
                "hosts-k3s-server",
                "hosts-k3s-token",
                "hosts-k3s-uncordon-agent1",
                "hosts-server-docker",
                "hosts-server-inventory",
                "hosts-server-packages",
                "hosts-server-service",
            ],
        );
    });

    it("never sends the SSH key or the Kickstart password in plain text", () => {
        const leaks = recorded.filter((r) => plainStrings(r.inputs).some((x) => x.includes("key-material-0123") || x.includes(PASSWORD)));
        assert.deepEqual(
            leaks.map((r) => r.name),
            [],
        );
        assert.ok(isSecretValue(one("command:local:Command", "hosts-kickstart").inputs.stdin), "the Kickstart (with its hash) goes on stdin as a secret");
    });

    it("exports the converge recap per host and step", async () => {
        assert.deepEqual(await new Promise((r) => program.hostsRecap.apply(r)), {
            server: { reach: "ok", inventory: "ok", packages: "ok", docker: "ok", service: "ok" },
            agent1: { reach: "ok", inventory: "ok", packages: "ok", docker: "ok", service: "ok" },
        });
    });

    it("exports the rendered inventory, groups in hosts.groupOrder", () => {
        assert.equal(
            program.hostsInventory,
            "[Orchestrators]\nserver ansible_host=192.168.56.10 ansible_port=22 ansible_user=ansible\n\n[Endpoints]\nagent1 ansible_host=192.168.56.11 ansible_port=22 ansible_user=ansible\n",
        );
    });
});
