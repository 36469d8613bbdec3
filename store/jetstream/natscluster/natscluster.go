// Package natscluster starts a NATS JetStream cluster inside the calling
// process: every server with a name, one cluster name, loopback routes to
// every other server and its store in a directory of its own. Tests use it
// to get a real replicated cluster without a binary, and cmd/eventloom-nats
// uses it so a person can try a cluster with nothing downloaded (nats-server
// has no exported helper for this; its own cluster helpers are test code).
//
// natscluster imports the nats-server module and the standard library; it
// must never import the engine, web or another store package.
package natscluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config describes a cluster. The zero value is three servers on free
// loopback ports, named "eventloom", with Dir required.
type Config struct {
	// Size is how many servers (default 3: the smallest cluster that keeps
	// a quorum with one server down).
	Size int
	// Name is the cluster's name (default "eventloom").
	Name string
	// Dir holds one store directory per server (Dir/n1, Dir/n2, ...);
	// required, so a restarted server finds its data again.
	Dir string
	// ClientPorts and ClusterPorts fix the ports (one per server, 0 or
	// absent: a free port chosen at start). Host is always 127.0.0.1: the
	// cluster is for one machine.
	ClientPorts  []int
	ClusterPorts []int
	// MaxPayloadBytes is the largest message a client may publish (default
	// 8 MiB: a design document with its version fits in one message).
	MaxPayloadBytes int32
	// Logs, when true, sends each server's log to stderr (default quiet).
	Logs bool
}

// Cluster is a running set of servers. Its methods are safe for
// concurrent use.
type Cluster struct {
	mu      sync.Mutex
	opts    []*server.Options
	servers []*server.Server
	logs    bool
}

// host is the only address the servers listen on.
const host = "127.0.0.1"

// Start starts every server and returns when the cluster has a JetStream
// meta leader that every server knows (or ctx ends, after which the
// servers already started are shut down).
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("nats cluster: Config.Dir is required (each server keeps its store under it)")
	}
	if cfg.Size == 0 {
		cfg.Size = 3
	}
	if cfg.Name == "" {
		cfg.Name = "eventloom"
	}
	if cfg.MaxPayloadBytes == 0 {
		cfg.MaxPayloadBytes = 8 << 20
	}
	client, err := ports(cfg.ClientPorts, cfg.Size)
	if err != nil {
		return nil, err
	}
	route, err := ports(cfg.ClusterPorts, cfg.Size)
	if err != nil {
		return nil, err
	}
	var routes []*url.URL
	for _, p := range route {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort(host, strconv.Itoa(p))})
	}
	c := &Cluster{logs: cfg.Logs}
	for i := range cfg.Size {
		name := "n" + strconv.Itoa(i+1)
		c.opts = append(c.opts, &server.Options{
			ServerName: name, Host: host, Port: client[i],
			JetStream: true, StoreDir: filepath.Join(cfg.Dir, name),
			MaxPayload: cfg.MaxPayloadBytes,
			Cluster:    server.ClusterOpts{Name: cfg.Name, Host: host, Port: route[i]},
			Routes:     routes, NoSigs: true, NoLog: !cfg.Logs,
		})
		c.servers = append(c.servers, nil)
	}
	for i := range c.opts {
		if err := c.start(i); err != nil {
			c.Shutdown()
			return nil, err
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// ports returns n ports: those given, and a free one wherever none is.
func ports(given []int, n int) ([]int, error) {
	out := make([]int, n)
	for i := range n {
		if i < len(given) && given[i] != 0 {
			out[i] = given[i]
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("nats cluster: find a free port: %w", err)
		}
		out[i] = l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return nil, fmt.Errorf("nats cluster: free port %d: %w", out[i], err)
		}
	}
	return out, nil
}

func (c *Cluster) start(i int) error {
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		return fmt.Errorf("nats cluster: server %s: %w", c.opts[i].ServerName, err)
	}
	if c.logs {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("nats cluster: server %s did not accept connections on port %d within 10s (is the port taken?)",
			c.opts[i].ServerName, c.opts[i].Port)
	}
	c.mu.Lock()
	c.servers[i] = s
	c.mu.Unlock()
	return nil
}

// WaitReady returns when every running server knows the same JetStream
// meta leader, or an error naming what is missing when ctx ends first.
func (c *Cluster) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		why := c.notReady()
		if why == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nats cluster: not ready: %s: %w", why, ctx.Err())
		case <-tick.C:
		}
	}
}

// notReady says what the cluster still lacks ("" when ready).
func (c *Cluster) notReady() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	leader := ""
	for i, s := range c.servers {
		if s == nil {
			continue
		}
		info, err := s.Jsz(&server.JSzOptions{})
		if err != nil {
			return fmt.Sprintf("server %s: %v", c.opts[i].ServerName, err)
		}
		if info.Meta == nil || info.Meta.Leader == "" {
			return fmt.Sprintf("server %s knows no meta leader", c.opts[i].ServerName)
		}
		if leader != "" && info.Meta.Leader != leader {
			return "servers disagree on the meta leader"
		}
		leader = info.Meta.Leader
		if !s.JetStreamIsCurrent() {
			return fmt.Sprintf("server %s is not current", c.opts[i].ServerName)
		}
	}
	if leader == "" {
		return "no server is running"
	}
	return ""
}

// URLs returns the client URL of every server (stopped ones included: a
// client given them all reconnects to whichever runs).
func (c *Cluster) URLs() []string {
	out := make([]string, len(c.opts))
	for i, o := range c.opts {
		out[i] = "nats://" + net.JoinHostPort(host, strconv.Itoa(o.Port))
	}
	return out
}

// URL returns every client URL joined by commas, the form of
// `eventloom serve --nats`.
func (c *Cluster) URL() string { return strings.Join(c.URLs(), ",") }

// Stop shuts server i down (its store stays on disk for Restart).
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts server i again on its ports and store, after Stop.
func (c *Cluster) Restart(i int) error {
	c.mu.Lock()
	running := c.servers[i] != nil
	c.mu.Unlock()
	if running {
		return fmt.Errorf("nats cluster: server %s is running; Stop it first", c.opts[i].ServerName)
	}
	return c.start(i)
}

// Shutdown stops every server; calling it again is harmless.
func (c *Cluster) Shutdown() {
	for i := range c.opts {
		c.Stop(i)
	}
}
