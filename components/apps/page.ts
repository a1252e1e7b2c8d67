// The clock app's content: the lab's index.html (a clock ticking every second and a paragraph
// naming the version) plus the nginx server block that serves it on an unprivileged port.

/** Escapes text for HTML element content. */
function escapeHtml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The page. nginx fills in the pod's name through SSI (`$hostname` is the pod name in Kubernetes),
 * so one ConfigMap serves every replica and each shows which pod answered.
 */
export function clockPage(appName: string, version: string): string {
    const title = escapeHtml(appName);
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} ${escapeHtml(version)}</title>
</head>
<body>
  <h1 id="clock">--:--:--</h1>
  <p id="version">Version: ${escapeHtml(version)}</p>
  <p id="pod">Pod: <!--# echo var="hostname" default="unknown" --></p>
  <script>
    function tick() { document.getElementById("clock").textContent = new Date().toLocaleTimeString(); }
    tick();
    setInterval(tick, 1000);
  </script>
</body>
</html>
`;
}

/** nginx server block: serves `root` on `port`, with SSI for the pod name and a /healthz endpoint. */
export function nginxServerConf(port: number, root: string): string {
    return `server {
    listen ${port};
    root ${root};
    location / {
        ssi on;
        index index.html;
    }
    location = /healthz {
        access_log off;
        default_type text/plain;
        return 200 "ok\\n";
    }
}
`;
}
