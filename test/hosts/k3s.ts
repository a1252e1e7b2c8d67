// The k3s stand-ins of npm run test:hosts (the k3s install script and binary cannot be downloaded
// here): an install script served from this machine in place of https://get.k3s.io, and as the
// "k3s server" a real etcd, kube-apiserver and kube-controller-manager (the local control plane's binaries, built by
// test/e2e/cluster.sh) run in the server host's network namespace on 6443, started by the host's
// init when the install script asks, writing k3s's kubeconfig and join token where k3s writes them.
import { ChildProcess, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { inNetns, TestHost } from "./lab";

/**
 * The install script's stand-in. A server install asks the host's init for the k3s server and waits
 * for it (k3s's installer starts k3s.service before it returns); an agent install records what it
 * was given to join with. Both leave a `k3s` on PATH, as the real one does, that names the installed
 * version (`k3s --version`) and finds no node (`k3s kubectl`), so a second run installs and drains nothing. Every argument and variable given is written under /etc/rancher/k3s for the test to read.
 */
export const INSTALL_SCRIPT = `#!/bin/sh
# k3s install script stand-in (npm run test:hosts): no k3s binary; see test/hosts/k3s.ts.
set -eu
mkdir -p /etc/rancher/k3s
if [ -n "\${K3S_URL:-}" ]; then
  umask 077
  printf 'K3S_URL=%s\\nK3S_TOKEN=%s\\nINSTALL_K3S_VERSION=%s\\nARGS=%s\\n' "$K3S_URL" "\${K3S_TOKEN:-}" "\${INSTALL_K3S_VERSION:-}" "$*" > /etc/rancher/k3s/agent-join.env
else
  printf 'INSTALL_K3S_VERSION=%s\\nARGS=%s\\n' "\${INSTALL_K3S_VERSION:-}" "$*" > /etc/rancher/k3s/server-install.env
  mkdir -p /run/bmp-init && touch /run/bmp-init/k3s-server.request
  i=0; while [ ! -e /run/bmp-init/k3s-server.ready ] && [ "$i" -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
  [ -e /run/bmp-init/k3s-server.ready ] || { echo "k3s stand-in: the server did not start within 120 s" >&2; exit 1; }
fi
printf '#!/bin/sh\\n# k3s stand-in (npm run test:hosts): the version installed; k3s kubectl finds nothing\\n[ "$1" = --version ] && echo "k3s version %s (stand-in)"\\nexit 0\\n' "\${INSTALL_K3S_VERSION:-}" > /usr/local/bin/k3s
chmod 755 /usr/local/bin/k3s
`;

/** Serves the install script on every address of this machine; returns the server and its port. */
export async function serveInstaller(): Promise<{ server: http.Server; port: number }> {
    const server = http.createServer((req, res) => {
        if (req.url === "/install.sh") {
            res.writeHead(200, { "content-type": "text/x-shellscript" }).end(INSTALL_SCRIPT);
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
    return { server, port: (server.address() as { port: number }).port };
}

/** The local control plane's binaries (etcd, kube-apiserver, kube-controller-manager, kubectl), built by test/e2e/cluster.sh. */
export function controlPlaneBin(root: string): string {
    const build = spawnSync("bash", [path.join(root, "test", "e2e", "cluster.sh"), "build"], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    if (build.status !== 0) throw new Error(`test/e2e/cluster.sh build failed: ${build.stderr}`);
    const text = fs.readFileSync(path.join(root, "test", "e2e", "cluster.sh"), "utf8");
    const v = (name: string) => text.match(new RegExp(`^${name}=(\\S+)`, "m"))?.[1];
    const cache = process.env.BMP_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/root", ".cache"), "bare-metal-platform");
    const bin = path.join(cache, "bin", `k8s-${v("K8S_VERSION")}-etcd-${v("ETCD_VERSION")}-kwok-${v("KWOK_VERSION")}`);
    for (const b of ["etcd", "kube-apiserver", "kube-controller-manager", "kubectl"]) {
        if (!fs.existsSync(path.join(bin, b))) throw new Error(`no ${b} in ${bin} after test/e2e/cluster.sh build`);
    }
    return bin;
}

function openssl(...args: string[]): void {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

/** What the k3s server stand-in made: its admin kubeconfig (for the test's own kubectl) and processes. */
export interface K3sServer {
    /** Admin kubeconfig pointed at https://<address>:6443, for the test's checks. */
    readonly kubeconfig: string;
    readonly processes: ChildProcess[];
}

/**
 * Registers the "k3s server" with the host's init: on request it makes a CA, the API server's
 * certificate (for 127.0.0.1 and the host's address) and an admin client certificate, starts etcd,
 * kube-apiserver and kube-controller-manager in the host's network namespace, waits for /readyz, then writes
 * /etc/rancher/k3s/k3s.yaml (server https://127.0.0.1:6443, certificates embedded, mode 600) and
 * /var/lib/rancher/k3s/server/node-token in the host, as k3s server does.
 */
export function registerK3sServer(host: TestHost, bin: string, dir: string): K3sServer {
    const pki = path.join(dir, "pki");
    const kubeconfig = path.join(dir, "admin.kubeconfig");
    const processes: ChildProcess[] = [];
    host.services["k3s-server"] = async () => {
        fs.mkdirSync(pki, { recursive: true });
        const p = (f: string) => path.join(pki, f);
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=k3s-stand-in-ca");
        const sign = (name: string, subj: string, ext?: string) => {
            openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p(`${name}.key`), "-subj", subj, "-out", p(`${name}.csr`));
            if (ext) fs.writeFileSync(p(`${name}.ext`), ext);
            openssl(
                "x509",
                "-req",
                "-in",
                p(`${name}.csr`),
                "-CA",
                p("ca.crt"),
                "-CAkey",
                p("ca.key"),
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                p(`${name}.crt`),
                ...(ext ? ["-extfile", p(`${name}.ext`)] : []),
            );
        };
        sign("apiserver", "/CN=kube-apiserver", `subjectAltName=IP:127.0.0.1,IP:${host.address},IP:10.96.0.1,DNS:kubernetes.default\n`);
        sign("admin", "/O=system:masters/CN=k3s-admin");
        openssl("genrsa", "-out", p("sa.key"), "2048");
        openssl("rsa", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub"));
        const log = path.join(dir, "k3s-server.log");
        processes.push(
            inNetns(
                host,
                [
                    path.join(bin, "etcd"),
                    "--name=k3s",
                    `--data-dir=${path.join(dir, "etcd")}`,
                    "--unsafe-no-fsync",
                    "--listen-client-urls=http://127.0.0.1:2379",
                    "--advertise-client-urls=http://127.0.0.1:2379",
                    "--listen-peer-urls=http://127.0.0.1:2380",
                    "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                    "--initial-cluster=k3s=http://127.0.0.1:2380",
                    "--listen-metrics-urls=",
                    "--log-level=warn",
                ],
                log,
            ),
        );
        processes.push(
            inNetns(
                host,
                [
                    path.join(bin, "kube-apiserver"),
                    "--etcd-servers=http://127.0.0.1:2379",
                    "--bind-address=0.0.0.0",
                    `--advertise-address=${host.address}`,
                    "--secure-port=6443",
                    `--tls-cert-file=${p("apiserver.crt")}`,
                    `--tls-private-key-file=${p("apiserver.key")}`,
                    `--client-ca-file=${p("ca.crt")}`,
                    "--authorization-mode=Node,RBAC",
                    `--service-account-key-file=${p("sa.pub")}`,
                    `--service-account-signing-key-file=${p("sa.key")}`,
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    "--service-cluster-ip-range=10.96.0.0/16",
                    "--endpoint-reconciler-type=none",
                ],
                log,
            ),
        );
        const b64 = (f: string) => fs.readFileSync(p(f)).toString("base64");
        const config = (server: string) => `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${b64("ca.crt")}
    server: ${server}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    client-certificate-data: ${b64("admin.crt")}
    client-key-data: ${b64("admin.key")}
`;
        fs.writeFileSync(kubeconfig, config(`https://${host.address}:6443`), { mode: 0o600 });
        // k3s server runs the controllers too; the garbage collector, for one, finishes a foreground deletion.
        const local = path.join(dir, "controller-manager.kubeconfig");
        fs.writeFileSync(local, config("https://127.0.0.1:6443"), { mode: 0o600 });
        processes.push(
            inNetns(
                host,
                [
                    path.join(bin, "kube-controller-manager"),
                    `--kubeconfig=${local}`,
                    `--authentication-kubeconfig=${local}`,
                    `--authorization-kubeconfig=${local}`,
                    "--bind-address=127.0.0.1",
                    "--secure-port=0",
                    "--leader-elect=false",
                    "--use-service-account-credentials",
                    `--service-account-private-key-file=${p("sa.key")}`,
                    `--root-ca-file=${p("ca.crt")}`,
                    `--cluster-signing-cert-file=${p("ca.crt")}`,
                    `--cluster-signing-key-file=${p("ca.key")}`,
                    "--service-cluster-ip-range=10.96.0.0/16",
                    "--controllers=*,-nodeipam,-nodelifecycle,-service-lb-controller,-cloud-node-lifecycle-controller",
                ],
                log,
            ),
        );
        const until = Date.now() + 120_000;
        while (spawnSync(path.join(bin, "kubectl"), ["--kubeconfig", kubeconfig, "get", "--raw", "/readyz", "--request-timeout=2s"]).status !== 0) {
            if (Date.now() > until) throw new Error(`the k3s server stand-in did not become ready within 120 s (${log})`);
            await new Promise((r) => setTimeout(r, 500));
        }
        const etc = path.join(host.rootfs, "etc", "rancher", "k3s");
        fs.mkdirSync(etc, { recursive: true });
        fs.writeFileSync(path.join(etc, "k3s.yaml"), config("https://127.0.0.1:6443"), { mode: 0o600 });
        const server = path.join(host.rootfs, "var", "lib", "rancher", "k3s", "server");
        fs.mkdirSync(server, { recursive: true });
        fs.writeFileSync(path.join(server, "node-token"), `K10${fs.readFileSync(p("ca.crt")).toString("hex").slice(0, 32)}::server:${Date.now().toString(36)}\n`, { mode: 0o600 });
    };
    return { kubeconfig, processes };
}
