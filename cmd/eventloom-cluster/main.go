// Command eventloom-cluster runs a whole Eventloom cluster on this machine
// for a person to try: three NATS JetStream servers in this process (the
// nats-server module, nothing downloaded), then three `eventloom serve
// --nats` nodes as child processes on loopback ports. It prints the
// console URLs and the admin token, and Ctrl-C stops the nodes (each
// finishing its running handlers), then the servers. `make cluster` runs
// it.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eventloom-cluster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eventloom-cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("eventloom", "./eventloom", "the eventloom binary the nodes run (make build makes it)")
	dir := fs.String("dir", "eventloom_cluster", "directory of the NATS servers' stores, kept across runs")
	natsPort := fs.Int("nats-port", 4222, "client port of the first NATS server; the others take the next two")
	httpPort := fs.Int("http-port", 8081, "console port of the first node; the others take the next two")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if _, err := os.Stat(*bin); err != nil {
		return fmt.Errorf("no eventloom binary at %s (%w): run make build first, or pass -eventloom PATH", *bin, err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := natscluster.Start(sctx, natscluster.Config{Dir: *dir,
		ClientPorts:  []int{*natsPort, *natsPort + 1, *natsPort + 2},
		ClusterPorts: []int{*natsPort + 2000, *natsPort + 2001, *natsPort + 2002}})
	if err != nil {
		return fmt.Errorf("%w (ports taken? pick others with -nats-port)", err)
	}
	defer c.Shutdown()
	fmt.Fprintf(stdout, "NATS JetStream cluster of 3 servers at %s (stores in %s)\n", c.URL(), *dir)

	token := os.Getenv("EVENTLOOM_ADMIN_TOKEN")
	if token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token = "elt_" + hex.EncodeToString(b)
	}
	var nodes []*exec.Cmd
	defer func() {
		for _, n := range nodes {
			_ = n.Process.Signal(os.Interrupt)
		}
		for _, n := range nodes {
			_ = n.Wait()
		}
	}()
	for i := range 3 {
		addr := fmt.Sprintf("127.0.0.1:%d", *httpPort+i)
		args := []string{"serve", "--nats", c.URL(), "--addr", addr}
		if i > 0 {
			// The first node seeds the demo design into an empty
			// cluster; the others find it there.
			args = append(args, "--no-demo")
		}
		cmd := exec.Command(*bin, args...)
		cmd.Env = append(os.Environ(), "EVENTLOOM_ADMIN_TOKEN="+token)
		cmd.Stderr = prefixed(stderr, fmt.Sprintf("node%d ", i+1))
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start node %d: %w", i+1, err)
		}
		nodes = append(nodes, cmd)
		if err := awaitBanner(ctx, out, stdout, i+1); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nEventloom cluster of 3 nodes:\n  http://127.0.0.1:%d/\n  http://127.0.0.1:%d/\n  http://127.0.0.1:%d/\nadmin token (every node): %s\nCtrl-C stops everything.\n",
		*httpPort, *httpPort+1, *httpPort+2, token)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping the nodes, then the NATS servers")
	return nil
}

// awaitBanner copies a node's stdout, prefixed, and returns once the node
// says it is running (or fails when it exits first).
func awaitBanner(ctx context.Context, out io.Reader, stdout io.Writer, n int) error {
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			fmt.Fprintf(stdout, "node%d %s\n", n, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "Eventloom is running") {
				seen = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("node %d stopped before it was running (see its log above)", n)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prefixed writes each line to w with prefix p, so three nodes' logs can
// be told apart.
func prefixed(w io.Writer, p string) io.Writer {
	r, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			fmt.Fprintln(w, p+sc.Text())
		}
	}()
	return pw
}
