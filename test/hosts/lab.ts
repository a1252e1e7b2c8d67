// Test hosts on this machine: Debian root filesystems (debootstrap, cached outside the repo), each
// running its own sshd in its own network namespace, joined to this one by a veth pair on
// 10.231.<n>.0/24. Needs root and iproute2, debootstrap, openssh and apt-utils (installed with
// apt-get when missing). Everything made here is listed, so `destroy` removes it all.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Debian packages the hosts test needs on this machine. */
const TOOLS: Record<string, string> = { ip: "iproute2", debootstrap: "debootstrap", sshd: "openssh-server", ssh: "openssh-client", "apt-ftparchive": "apt-utils" };
const SUITE = "bookworm";
const MIRROR = process.env.BMP_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
/** Packages served by the hosts' local mirror (the stand-in for the distribution's): what the steps install. */
export const MIRRORED = ["hello", "docker.io"];
/** The container image the hosts load instead of pulling one (no registry here): Debian's static busybox. */
export const LOCAL_IMAGE = "local/busybox:1.35.0";
const IMAGE_VERSION = "v3";

export interface TestHost {
    readonly name: string;
    readonly index: number;
    readonly address: string;
    readonly netns: string;
    readonly rootVeth: string;
    readonly hostVeth: string;
    readonly rootfs: string;
    sshd?: ChildProcess;
    dockerd?: ChildProcess;
    /** The host's init: starts what a package asks to start (see {@link INIT_HOOK}). */
    init?: NodeJS.Timeout;
    /**
     * Services the host's init starts on request beside docker (`/run/bmp-init/<name>.request`, answered
     * with `<name>.ready`): the k3s stand-in registers its server here.
     */
    services: Record<string, () => Promise<void>>;
}

/**
 * The test hosts' stand-in for systemd starting a service that a package installs: apt runs this
 * after every dpkg run (DPkg::Post-Invoke); once dockerd is installed it asks the host's init
 * (lab.ts, outside the chroot) to start it and waits until it answers with the local image loaded,
 * as docker.service would be running before apt-get returned on a real host. (The image's
 * policy-rc.d keeps package scripts from starting services themselves.)
 */
const INIT_HOOK = `#!/bin/sh
[ -x /usr/sbin/dockerd ] && [ ! -e /run/bmp-init/docker.ready ] || exit 0
mkdir -p /run/bmp-init && touch /run/bmp-init/docker.request
i=0; while [ ! -e /run/bmp-init/docker.ready ] && [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
`;

function run(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
    }
    return r.stdout;
}

function which(cmd: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${cmd} || test -x /usr/sbin/${cmd}`]).status === 0;
}

/** Installs the missing tools with apt-get (the machine's Debian packages). */
export function ensureTools(): void {
    if (process.getuid?.() !== 0) {
        throw new Error("npm run test:hosts needs root: it makes network namespaces, veth pairs and chroots");
    }
    const missing = Object.entries(TOOLS).filter(([cmd]) => !which(cmd));
    if (missing.length > 0) {
        run("apt-get", ["update", "-qq"]);
        run("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", ...missing.map(([, pkg]) => pkg)]);
    }
}

/** Where built images are cached between runs (outside the repo). */
export function cacheDir(): string {
    return process.env.BMP_CACHE ?? path.join(os.homedir(), ".cache", "bare-metal-platform");
}

/**
 * The hosts' root filesystem as a tarball: Debian minbase with sshd and sudo, no distribution
 * sources, and /srv/local-repo holding MIRRORED and their dependencies (downloaded once from
 * the Debian mirror) as a flat apt repository.
 */
export function baseImage(log: (s: string) => void): string {
    const tar = path.join(cacheDir(), `hosts-rootfs-${SUITE}-${IMAGE_VERSION}.tar`);
    if (fs.existsSync(tar)) {
        return tar;
    }
    fs.mkdirSync(cacheDir(), { recursive: true });
    const dir = fs.mkdtempSync(path.join(cacheDir(), "build-"));
    try {
        log(`building ${tar} (debootstrap ${SUITE}, once)`);
        run("debootstrap", ["--variant=minbase", "--include=openssh-server,sudo,curl", SUITE, dir, MIRROR]);
        run("chroot", [dir, "apt-get", "-qq", "update"]);
        run("chroot", [dir, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "-y", "--download-only", "install", ...MIRRORED]);
        // The stand-in for a registry: a one-binary image from Debian's busybox-static, imported on each host.
        run("chroot", [dir, "sh", "-c", "cd /tmp && apt-get -qq download busybox-static"]);
        const image = path.join(dir, "tmp", "image");
        const bbx = fs.readdirSync(path.join(dir, "tmp")).find((f) => f.startsWith("busybox-static_"));
        run("dpkg-deb", ["-x", path.join(dir, "tmp", bbx!), image]);
        fs.symlinkSync("busybox", path.join(image, "bin", "sh"));
        fs.mkdirSync(path.join(dir, "srv", "images"), { recursive: true });
        run("tar", ["-C", image, "-cf", path.join(dir, "srv", "images", "busybox.tar"), "."]);
        fs.rmSync(image, { recursive: true });
        fs.rmSync(path.join(dir, "tmp", bbx!));
        const repo = path.join(dir, "srv", "local-repo");
        fs.mkdirSync(repo, { recursive: true });
        const archives = path.join(dir, "var", "cache", "apt", "archives");
        for (const f of fs.readdirSync(archives).filter((f) => f.endsWith(".deb"))) fs.renameSync(path.join(archives, f), path.join(repo, f));
        fs.writeFileSync(path.join(repo, "Packages"), run("apt-ftparchive", ["packages", "."], { cwd: repo }));
        // No distribution sources: the hosts have no internet, their mirror is /srv/local-repo.
        fs.rmSync(path.join(dir, "etc", "apt", "sources.list"), { force: true });
        fs.rmSync(path.join(dir, "etc", "apt", "sources.list.d"), { recursive: true, force: true });
        fs.mkdirSync(path.join(dir, "etc", "apt", "sources.list.d"));
        fs.rmSync(path.join(dir, "var", "lib", "apt", "lists"), { recursive: true, force: true });
        fs.mkdirSync(path.join(dir, "var", "lib", "apt", "lists", "partial"), { recursive: true });
        // As in Debian's container images: package scripts do not start services (there is no init here).
        fs.writeFileSync(path.join(dir, "usr", "sbin", "policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
        run("tar", ["-C", dir, "-cf", `${tar}.part`, "."]);
        fs.renameSync(`${tar}.part`, tar);
        return tar;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** What one lab run made: its folder, hosts and SSH key. */
export interface Lab {
    readonly dir: string;
    readonly prefix: string;
    readonly hosts: TestHost[];
    readonly keyFile: string;
    readonly knownHosts: string;
}

/** Makes `count` hosts from the image, each with sshd running in its own network namespace. */
export async function create(count: number, image: string): Promise<Lab> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-hosts-"));
    const prefix = `bmp${crypto.randomBytes(2).toString("hex")}`;
    const keyFile = path.join(dir, "id_ed25519");
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bare-metal-platform test", "-f", keyFile]);
    const lab: Lab = { dir, prefix, hosts: [], keyFile, knownHosts: path.join(dir, "known_hosts") };
    try {
        for (let i = 1; i <= count; i++) {
            const host: TestHost = {
                name: `vm${i}`,
                index: i,
                address: `10.231.${i}.2`,
                netns: `${prefix}-vm${i}`,
                rootVeth: `${prefix}v${i}a`,
                hostVeth: `${prefix}v${i}b`,
                rootfs: path.join(dir, `vm${i}`),
                services: {},
            };
            lab.hosts.push(host);
            fs.mkdirSync(host.rootfs);
            run("tar", ["-C", host.rootfs, "-xf", image]);
            // A root filesystem's "/" is world-readable (mkdtemp made the image's 0700).
            fs.chmodSync(host.rootfs, 0o755);
            const chroot = (...args: string[]) => run("chroot", [host.rootfs, ...args]);
            // "*": no password, but not locked ("!"), so sshd lets the key in.
            chroot("useradd", "-m", "-s", "/bin/bash", "-p", "*", "ansible");
            fs.writeFileSync(path.join(host.rootfs, "etc", "sudoers.d", "ansible"), "ansible ALL=(ALL) NOPASSWD:ALL\n", { mode: 0o440 });
            const ssh = path.join(host.rootfs, "home", "ansible", ".ssh");
            fs.mkdirSync(ssh, { mode: 0o700 });
            fs.copyFileSync(`${keyFile}.pub`, path.join(ssh, "authorized_keys"));
            chroot("chown", "-R", "ansible:ansible", "/home/ansible/.ssh");
            // Each host its own host keys: the cached image holds the ones openssh-server made when it was built.
            for (const f of fs.readdirSync(path.join(host.rootfs, "etc", "ssh")).filter((f) => f.startsWith("ssh_host_"))) {
                fs.rmSync(path.join(host.rootfs, "etc", "ssh", f));
            }
            chroot("ssh-keygen", "-A");
            fs.writeFileSync(path.join(host.rootfs, "usr", "local", "sbin", "bmp-init-hook"), INIT_HOOK, { mode: 0o755 });
            fs.writeFileSync(path.join(host.rootfs, "etc", "apt", "apt.conf.d", "99bmp-init"), 'DPkg::Post-Invoke { "/usr/local/sbin/bmp-init-hook"; };\n');
            fs.mkdirSync(path.join(host.rootfs, "run", "sshd"), { recursive: true });
            fs.writeFileSync(path.join(host.rootfs, "etc", "hostname"), `${host.name}\n`);
            fs.appendFileSync(path.join(host.rootfs, "etc", "hosts"), `127.0.1.1 ${host.name}\n`);
            const hostKey = fs
                .readFileSync(path.join(host.rootfs, "etc", "ssh", "ssh_host_ed25519_key.pub"), "utf8")
                .split(" ")
                .slice(0, 2)
                .join(" ");
            fs.appendFileSync(lab.knownHosts, `${host.address} ${hostKey}\n`);

            run("ip", ["netns", "add", host.netns]);
            run("ip", ["link", "add", host.rootVeth, "type", "veth", "peer", "name", host.hostVeth]);
            run("ip", ["link", "set", host.hostVeth, "netns", host.netns]);
            run("ip", ["addr", "add", `10.231.${i}.1/24`, "dev", host.rootVeth]);
            run("ip", ["link", "set", host.rootVeth, "up"]);
            run("ip", ["-n", host.netns, "addr", "add", `${host.address}/24`, "dev", host.hostVeth]);
            run("ip", ["-n", host.netns, "link", "set", host.hostVeth, "up"]);
            run("ip", ["-n", host.netns, "link", "set", "lo", "up"]);
            // The lab's addresses through this machine (a server of the test on 10.231.1.1); no default route:
            // a lookup of a name the hosts cannot resolve fails at once instead of waiting on a DNS server.
            run("ip", ["-n", host.netns, "route", "add", "10.231.0.0/16", "via", `10.231.${i}.1`]);
            startSshd(host);
            startInit(host);
        }
        for (const h of lab.hosts) await waitForPort(h.address, 22, 10_000);
        return lab;
    } catch (e) {
        destroy(lab);
        throw e;
    }
}

/**
 * Runs a command as one of the host's processes: in its network namespace, with a private mount
 * namespace and its own host name (UTS namespace); `command` prepares the mounts and chroots.
 */
function inHost(host: TestHost, command: string): ChildProcess {
    const sh = `hostname ${host.name} && ${command}`;
    return spawn("ip", ["netns", "exec", host.netns, "unshare", "--mount", "--uts", "--propagation", "private", "--", "sh", "-c", sh], { stdio: "ignore" });
}

/** Starts a process in the host's network namespace (a server of the host, outside its chroot), output to `log`. */
export function inNetns(host: TestHost, args: string[], log: string): ChildProcess {
    const out = fs.openSync(log, "a");
    const child = spawn("ip", ["netns", "exec", host.netns, ...args], { stdio: ["ignore", out, out] });
    fs.closeSync(out);
    return child;
}

/** Starts the host's sshd: its own network namespace, a private mount namespace with /proc and /dev, chrooted. */
export function startSshd(host: TestHost): void {
    const r = host.rootfs;
    host.sshd = inHost(host, `mount -t proc proc ${r}/proc && mount --rbind /dev ${r}/dev && exec chroot ${r} /usr/sbin/sshd -D -e`);
}

/** Root-side commands that prepare one host's mount namespace: its own "/", /proc, /dev, /sys and cgroups. */
function hostMounts(r: string): string {
    const controllers = "cpu cpuacct cpuset memory devices freezer blkio pids";
    return [
        // "/" a mount point of its own, so that Docker may pivot into layers under it.
        `mount --bind ${r} ${r}`,
        `mount -t proc proc ${r}/proc`,
        `mount --rbind /dev ${r}/dev`,
        `mount --rbind /sys ${r}/sys`,
        // ip netns exec gives the namespace a fresh /sys without cgroups: mount them again for dockerd.
        `mount -t tmpfs cgroup ${r}/sys/fs/cgroup`,
        `for c in ${controllers}; do mkdir -p ${r}/sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup ${r}/sys/fs/cgroup/$c; done`,
        `mkdir -p ${r}/sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup ${r}/sys/fs/cgroup/systemd`,
    ].join(" && ");
}

/**
 * Starts Docker on the host as its init would start docker.service (the test hosts have no systemd),
 * then loads the local image, the stand-in for a registry pull.
 */
export async function startDocker(host: TestHost): Promise<void> {
    const r = host.rootfs;
    host.dockerd = inHost(host, `${hostMounts(r)} && exec chroot ${r} dockerd --iptables=false --ip6tables=false --storage-driver=vfs`);
    const until = Date.now() + 30_000;
    while (spawnSync("chroot", [r, "docker", "version", "--format", "{{.Server.Version}}"]).status !== 0) {
        if (Date.now() > until) throw new Error(`dockerd on ${host.name} did not answer within 30 s`);
        await new Promise((res) => setTimeout(res, 200));
    }
    run("chroot", [r, "docker", "import", "/srv/images/busybox.tar", LOCAL_IMAGE]);
}

/** The host's init: starts dockerd when the package's hook asks for it (see {@link INIT_HOOK}), then says it is ready. */
function startInit(host: TestHost): void {
    const dir = path.join(host.rootfs, "run", "bmp-init");
    let busy = false;
    const docker = () => (host.dockerd && host.dockerd.exitCode === null ? Promise.resolve() : startDocker(host));
    host.init = setInterval(() => {
        if (busy || !fs.existsSync(dir)) return;
        const name = fs
            .readdirSync(dir)
            .find((f) => f.endsWith(".request"))
            ?.replace(/\.request$/, "");
        if (name === undefined) return;
        busy = true;
        fs.rmSync(path.join(dir, `${name}.request`));
        const start = name === "docker" ? docker : host.services[name];
        (start ? start() : Promise.reject(new Error(`no service ${name}`)))
            .then(
                () => fs.writeFileSync(path.join(dir, `${name}.ready`), ""),
                (e) => process.stderr.write(`# ${host.name}: init could not start ${name}: ${String(e)}\n`),
            )
            .finally(() => (busy = false));
    }, 100);
}

/** Stops the host's sshd (the "sshd down" case). */
export async function stopSshd(host: TestHost): Promise<void> {
    const p = host.sshd;
    if (p && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((resolve) => p.once("exit", resolve));
        p.kill("SIGTERM");
        await exited;
    }
    host.sshd = undefined;
}

/**
 * Takes the host's network link down (the "network down" case) while this side still knows its
 * MAC address, as a switch would: packets leave and nothing answers.
 */
export function downLink(host: TestHost): void {
    const mac = run("ip", ["-n", host.netns, "-o", "link", "show", host.hostVeth]).match(/link\/ether ([0-9a-f:]+)/)?.[1];
    if (!mac) throw new Error(`no MAC address on ${host.hostVeth}`);
    run("ip", ["-n", host.netns, "link", "set", host.hostVeth, "down"]);
    run("ip", ["neigh", "replace", host.address, "lladdr", mac, "dev", host.rootVeth, "nud", "permanent"]);
}

async function waitForPort(address: string, port: number, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        if (spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${address}/${port}`], { timeout: 1000 }).status === 0) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${address}:${port} did not open within ${ms} ms`);
}

/** Removes every namespace, link, process and file the lab made. Safe to call twice. */
export function destroy(lab: Lab): void {
    for (const h of lab.hosts) {
        if (h.init) clearInterval(h.init);
        h.sshd?.kill("SIGKILL");
        h.dockerd?.kill("SIGKILL");
        // Processes left in the namespace (a stray sshd child) go with it.
        spawnSync("ip", ["netns", "pids", h.netns], { encoding: "utf8" })
            .stdout?.split("\n")
            .filter(Boolean)
            .forEach((pid) => spawnSync("kill", ["-9", pid]));
        spawnSync("ip", ["netns", "del", h.netns]);
        spawnSync("ip", ["link", "del", h.rootVeth]);
    }
    fs.rmSync(lab.dir, { recursive: true, force: true });
}

/** What is left of a lab after `destroy`: namespaces, links, processes, files (all should be empty). */
export function leftovers(lab: Lab): { netns: string[]; links: string[]; processes: string[]; files: boolean } {
    const netns = run("ip", ["netns", "list"])
        .split("\n")
        .filter((l) => l.startsWith(lab.prefix));
    const links = run("ip", ["-o", "link", "show"])
        .split("\n")
        .filter((l) => l.includes(lab.prefix));
    // A process of a host runs chrooted in its folder, or names the folder in its command line.
    const processes = fs
        .readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .flatMap((pid) => {
            try {
                const root = fs.readlinkSync(`/proc/${pid}/root`);
                const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
                return root.startsWith(lab.dir) || args.includes(lab.dir) ? [`${pid} ${args}`] : [];
            } catch {
                return []; // gone meanwhile
            }
        });
    return { netns, links, processes, files: fs.existsSync(lab.dir) };
}
