// Serves one folder read-only over HTTP on loopback and prints its URL: the chart repository the
// e2e suite uses (test/e2e/charts.sh makes it).
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");
const server = http.createServer((req, res) => {
    const file = path.join(root, path.normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".yaml") ? "text/yaml" : "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
});
server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    console.log(`http://127.0.0.1:${address.port}`);
});
