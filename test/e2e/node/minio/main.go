// The `minio` of the e2e suite's MinIO stand-in image: MinIO's command-line contract
// (`minio server DIR [--certs-dir DIR]`, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, the S3 API and
// /minio/health/{live,ready} on :9000) served by versitygw's POSIX backend on DIR, which runs as a
// child on loopback behind this reverse proxy. Not MinIO: see the README's end-to-end section.
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

const backend = "127.0.0.1:9001"

func main() {
	dir, addr, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "minio (stand-in): %v\nusage: minio server DIR [--certs-dir DIR] [--address :9000]\n", err)
		os.Exit(2)
	}
	user, password := os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD")
	if user == "" || password == "" {
		// MinIO falls back to minioadmin/minioadmin; a stand-in that must prove the Secret is used refuses instead.
		fmt.Fprintln(os.Stderr, "minio (stand-in): MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set")
		os.Exit(1)
	}
	gw := exec.Command("/usr/bin/versitygw", "posix", dir)
	gw.Env = []string{"VGW_PORT=" + backend, "ROOT_ACCESS_KEY=" + user, "ROOT_SECRET_KEY=" + password, "HOME=/tmp", "TMPDIR=/tmp"}
	gw.Stdout, gw.Stderr = os.Stdout, os.Stderr
	if err := gw.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "minio (stand-in): starting versitygw: %v\n", err)
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { gw.Process.Signal(<-signals) }()
	exited := make(chan error, 1)
	go func() { exited <- gw.Wait() }()

	target, _ := url.Parse("http://" + backend)
	proxy := httputil.NewSingleHostReverseProxy(target) // keeps the client's Host header: signatures still match
	mux := http.NewServeMux()
	mux.HandleFunc("/minio/health/live", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/minio/health/ready", func(w http.ResponseWriter, _ *http.Request) {
		c, err := net.DialTimeout("tcp", backend, time.Second)
		if err != nil {
			http.Error(w, "backend not listening", http.StatusServiceUnavailable)
			return
		}
		c.Close()
		w.WriteHeader(http.StatusOK)
	})
	mux.Handle("/", proxy)
	go func() {
		err := http.ListenAndServe(addr, mux)
		fmt.Fprintf(os.Stderr, "minio (stand-in): %v\n", err)
		gw.Process.Kill()
	}()
	fmt.Printf("minio (stand-in): S3 API on %s, data in %s (versitygw posix)\n", addr, dir)
	if err := <-exited; err != nil {
		fmt.Fprintf(os.Stderr, "minio (stand-in): versitygw: %v\n", err)
		os.Exit(1)
	}
}

func parseArgs(args []string) (dir, addr string, err error) {
	addr = ":9000"
	if len(args) == 0 || args[0] != "server" {
		return "", "", fmt.Errorf("only `server` is supported")
	}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "--certs-dir", "--address", "--console-address":
			if i+1 >= len(args) {
				return "", "", fmt.Errorf("%s needs a value", a)
			}
			if a == "--address" {
				addr = args[i+1]
			}
			i++ // no TLS: MinIO also serves plain HTTP when the certs folder holds no certificate
		default:
			if dir != "" {
				return "", "", fmt.Errorf("one data folder only (got %q and %q)", dir, a)
			}
			dir = a
		}
	}
	if dir == "" {
		return "", "", fmt.Errorf("no data folder given")
	}
	return dir, addr, nil
}
