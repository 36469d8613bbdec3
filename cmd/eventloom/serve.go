package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/outbound"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/static"
	"github.com/eventloom/eventloom/web"
	"github.com/eventloom/eventloom/web/exampleservice"
	"github.com/eventloom/eventloom/web/metrics"
)

// serveConfig is everything serve reads from flags and EVENTLOOM_*
// variables (a flag wins over its variable).
type serveConfig struct {
	Addr               string
	DataDir            string
	AdminToken         string
	QueueCap           int
	RetryUnit          time.Duration
	HandlerTimeout     time.Duration
	DefaultConcurrency int
	MaxPayloadBytes    int
	MaxTextLength      int
	Sync               string
	NoDemo             bool
	SecureCookies      bool
	ShutdownTimeout    time.Duration
	ReadTimeout        time.Duration
	WriteTimeout       time.Duration
	IdleTimeout        time.Duration
	MaxConnsPerClient  int
	// MetricsAddr, when set, is a second listener serving only /metrics,
	// without credentials (keep it on a private network).
	MetricsAddr string
	// MetricsToken may read /metrics on the main listener (besides the
	// admin token).
	MetricsToken string
	// AllowEndpoints are the addresses outbound calls (webhooks, flow HTTP
	// steps) may reach despite the guard's rules; empty allows none.
	AllowEndpoints outbound.Allow
	// EndpointPauseAfter and SecretGrace are the engine's webhook
	// settings of the same names.
	EndpointPauseAfter int
	SecretGrace        time.Duration
	// NATS, when set, makes this a node of a cluster on NATS JetStream
	// (serve_nats.go) instead of a server on SQLite; NATSStream names the
	// stream that holds the cluster's log.
	NATS, NATSStream string
	// TraceURL links the console's trace page to an external tracing UI
	// (web.Config.TraceURL); empty for none.
	TraceURL string
	// AlertWebhook, when set, is where alerts are sent; set at start
	// (with a new signing secret, printed once) when it differs from the
	// stored one.
	AlertWebhook string
}

// envFlags binds flags whose defaults come from EVENTLOOM_* variables and
// remembers a variable that does not parse, reported after parsing.
type envFlags struct {
	fs   *flag.FlagSet
	errs []string
}

func (f *envFlags) env(name string) (string, bool) { return os.LookupEnv("EVENTLOOM_" + name) }

func (f *envFlags) str(dst *string, flagName, envName, def, usage string) {
	if v, ok := f.env(envName); ok {
		def = v
	}
	f.fs.StringVar(dst, flagName, def, usage+" (EVENTLOOM_"+envName+")")
}

func (f *envFlags) int(dst *int, flagName, envName string, def int, usage string) {
	if v, ok := f.env(envName); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			f.errs = append(f.errs, fmt.Sprintf("EVENTLOOM_%s=%q is not a whole number ≥ 0", envName, v))
		} else {
			def = n
		}
	}
	f.fs.IntVar(dst, flagName, def, usage+" (EVENTLOOM_"+envName+")")
}

func (f *envFlags) dur(dst *time.Duration, flagName, envName string, def time.Duration, usage string) {
	if v, ok := f.env(envName); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			f.errs = append(f.errs, fmt.Sprintf("EVENTLOOM_%s=%q is not a positive duration such as 1m or 1s", envName, v))
		} else {
			def = d
		}
	}
	f.fs.DurationVar(dst, flagName, def, usage+" (EVENTLOOM_"+envName+")")
}

func (f *envFlags) boolean(dst *bool, flagName, envName string, usage string) {
	def := false
	if v, ok := f.env(envName); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Sprintf("EVENTLOOM_%s=%q is not true or false", envName, v))
		}
		def = b
	}
	f.fs.BoolVar(dst, flagName, def, usage+" (EVENTLOOM_"+envName+")")
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &envFlags{fs: fs}
	lim := payload.DefaultLimits()
	f.str(&c.Addr, "addr", "ADDR", "127.0.0.1:8080", "address to listen on")
	f.str(&c.DataDir, "data", "DATA", "eventloom_data", "data directory, created if missing")
	f.int(&c.QueueCap, "queue-cap", "QUEUE_CAP", 10000, "most pending occurrences per event type")
	f.dur(&c.RetryUnit, "retry-unit", "RETRY_UNIT", time.Minute, "unit of the retry waits 2, 4, 8, 16, 32 (1s for demos)")
	f.dur(&c.HandlerTimeout, "handler-timeout", "HANDLER_TIMEOUT", 2*time.Minute, "a handler run longer than this fails")
	f.int(&c.DefaultConcurrency, "concurrency", "DEFAULT_CONCURRENCY", 100, "handler runs at once per app, unless the app sets its own")
	f.int(&c.MaxPayloadBytes, "max-payload-bytes", "MAX_PAYLOAD_BYTES", lim.MaxPayloadBytes, "largest payload of parameters, in bytes")
	f.int(&c.MaxTextLength, "max-text-length", "MAX_TEXT_LENGTH", lim.MaxTextLength, "longest Text parameter, in characters")
	f.str(&c.Sync, "sync", "SYNC", "FULL", "SQLite synchronous setting: FULL (nothing acknowledged before it is on disk), NORMAL or OFF")
	f.boolean(&c.NoDemo, "no-demo", "NO_DEMO", "do not seed the demo design into an empty database")
	f.boolean(&c.SecureCookies, "secure-cookies", "SECURE_COOKIES", "mark the console's session cookie Secure; set it when a proxy in front terminates TLS")
	f.dur(&c.ReadTimeout, "read-timeout", "READ_TIMEOUT", 30*time.Second, "longest a client may take to send one request, body included (the live stream sets its own)")
	f.dur(&c.WriteTimeout, "write-timeout", "WRITE_TIMEOUT", time.Minute, "longest one response may take to write (the live stream sets its own)")
	f.dur(&c.IdleTimeout, "idle-timeout", "IDLE_TIMEOUT", 2*time.Minute, "how long an idle keep-alive connection is kept open")
	f.int(&c.MaxConnsPerClient, "max-conns-per-client", "MAX_CONNS_PER_CLIENT", 256, "open connections one client address may hold; 0 for no limit")
	f.dur(&c.ShutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", 30*time.Second, "how long running handlers may finish on SIGINT/SIGTERM before they are released")
	f.str(&c.MetricsAddr, "metrics-addr", "METRICS_ADDR", "", "address of a second listener serving only /metrics without credentials (e.g. 127.0.0.1:9464); empty for none")
	f.str(&c.MetricsToken, "metrics-token", "METRICS_TOKEN", "", "a bearer token that may read /metrics on the main listener, besides the admin token")
	var allow string
	f.str(&allow, "allow-endpoints", "ALLOW_ENDPOINTS", "", "comma-separated CIDRs, addresses or host:port pairs that webhooks and flow HTTP steps may call although they are loopback, private, link-local or metadata addresses (e.g. 127.0.0.1:9000,10.0.0.0/8)")
	f.int(&c.EndpointPauseAfter, "endpoint-pause-after", "ENDPOINT_PAUSE_AFTER", 0, "pause an app's webhook subscriptions once its endpoint fails this many attempts in a row; 0 never")
	f.str(&c.AlertWebhook, "alert-webhook", "ALERT_WEBHOOK", "", "URL the alerts (dead deliveries, failing endpoints, filling queues, apps at their limit) are POSTed to, signed per Standard Webhooks; its secret is printed when it is first set (or set it with PUT /api/v1/alerts/webhook)")
	f.dur(&c.SecretGrace, "secret-grace", "SECRET_GRACE", 24*time.Hour, "how long a rotated-out webhook signing secret keeps signing beside the new one")
	f.str(&c.NATS, "nats", "NATS_URL", "", "run as a node of a cluster on NATS JetStream at these comma-separated URLs (e.g. nats://127.0.0.1:4222,nats://127.0.0.1:4223) instead of SQLite in --data")
	f.str(&c.NATSStream, "nats-stream", "NATS_STREAM", "EVENTLOOM", "with --nats: the JetStream stream holding the cluster's log (every node of one cluster names the same)")
	f.str(&c.TraceURL, "trace-url", "TRACE_URL", "", "link the console's trace page to your tracing UI: a URL with {traceId} for the W3C trace id, e.g. http://127.0.0.1:16686/trace/{traceId}; empty for no link")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom serve [flags]\n\nRuns the event router, its REST API under /api/v1 and its engine.\nThe admin token comes from EVENTLOOM_ADMIN_TOKEN; when it is unset on the\nfirst start, one is generated, printed once and stored hashed.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if a, err := outbound.ParseAllow(allow); err != nil {
		f.errs = append(f.errs, "--allow-endpoints (EVENTLOOM_ALLOW_ENDPOINTS): "+err.Error())
	} else {
		c.AllowEndpoints = a
	}
	if c.EndpointPauseAfter < 0 {
		f.errs = append(f.errs, fmt.Sprintf("--endpoint-pause-after (EVENTLOOM_ENDPOINT_PAUSE_AFTER) is %d; give 0 to never pause, or the failures in a row that pause an app's webhooks, e.g. 10", c.EndpointPauseAfter))
	}
	if c.SecretGrace <= 0 {
		f.errs = append(f.errs, fmt.Sprintf("--secret-grace (EVENTLOOM_SECRET_GRACE) is %s; give a positive duration such as 24h", c.SecretGrace))
	}
	if c.TraceURL != "" {
		if err := web.CheckTraceURL(c.TraceURL); err != nil {
			f.errs = append(f.errs, "--trace-url (EVENTLOOM_TRACE_URL): "+err.Error())
		}
	}
	if len(f.errs) > 0 {
		return c, errors.New(strings.Join(f.errs, "; "))
	}
	c.AdminToken = os.Getenv("EVENTLOOM_ADMIN_TOKEN")
	return c, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return serve(ctx, c, stdout, stderr, nil)
}

// serve runs until ctx ends. ready, when set, receives the listening
// address (tests listen on port 0).
func serve(ctx context.Context, c serveConfig, stdout, stderr io.Writer, ready chan<- string) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The listener comes first: a busy port must not leave behind a data
	// directory and an admin token nobody was shown.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return listenError(c.Addr, err)
	}
	defer ln.Close() // Serve closes it too; this covers the early returns
	var mln net.Listener
	if c.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", c.MetricsAddr); err != nil {
			return fmt.Errorf("cannot listen on %s for metrics: %w; give a free host:port such as 127.0.0.1:9464 with --metrics-addr (EVENTLOOM_METRICS_ADDR), or leave it empty", c.MetricsAddr, err)
		}
		defer mln.Close()
	}
	m := metrics.New(metrics.Config{})
	if missing := static.Missing(); len(missing) > 0 {
		log.Warn("THIS BUILD HAS NO FRONT-END BUNDLE: the designer cannot draw and forms work as plain HTML; build it with "+static.BuildCommand, "missing", strings.Join(missing, ","))
	}
	// The demo's example service is this server's own client on
	// loopback: its webhooks come to this port, which the guard allows.
	self := fmt.Sprintf("127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
	allow := c.AllowEndpoints
	if !c.NoDemo {
		if allow, err = outbound.ParseAllow(strings.TrimPrefix(c.AllowEndpoints.String()+","+self, ",")); err != nil {
			return err
		}
	}
	be, err := openBackend(ctx, c, log, m)
	if err != nil {
		return err
	}
	defer be.st.Close()
	tracing, err := otlpTracing(ctx, log)
	if err != nil {
		return err
	}
	defer flushTracing(tracing, log) // after the engine closed, its last spans ended
	eng, err := engine.New(ctx, engine.Config{
		Storage:            be.st,
		Logger:             log,
		QueueCap:           c.QueueCap,
		RetryUnit:          c.RetryUnit,
		HandlerTimeout:     c.HandlerTimeout,
		DefaultConcurrency: c.DefaultConcurrency,
		Limits:             payload.Limits{MaxPayloadBytes: c.MaxPayloadBytes, MaxTextLength: c.MaxTextLength},
		HTTPClient:         outbound.New(outbound.Config{Allow: allow}).Client(),
		EndpointPauseAfter: c.EndpointPauseAfter,
		SecretGrace:        c.SecretGrace,
		TracerProvider:     tracerProvider(tracing),
	})
	if err != nil {
		return err
	}
	if !c.AllowEndpoints.IsZero() {
		log.Info("outbound calls may reach these endpoints despite the address guard", "allow_endpoints", c.AllowEndpoints.String())
	}
	generated, err := eng.InitAdminToken(ctx, c.AdminToken)
	if err != nil {
		return err
	}
	// Printed at once: a token generated now is shown now, whatever fails
	// after it.
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "Eventloom is running at %s\n  data:  %s\n  API:   %sapi/v1 (see README.md)\n", url, be.where, url)
	switch {
	case generated != "":
		fmt.Fprintf(stdout, "  admin token (shown once, stored hashed): %s\n  sign in with it, or send 'Authorization: Bearer <token>'; set EVENTLOOM_ADMIN_TOKEN to choose your own\n", generated)
	case c.AdminToken != "":
		fmt.Fprintf(stdout, "  sign in with the admin token from EVENTLOOM_ADMIN_TOKEN\n")
	default:
		fmt.Fprintf(stdout, "  sign in with the admin token printed at the first start (or set EVENTLOOM_ADMIN_TOKEN to replace it)\n")
	}
	if d := eng.Design(); len(d.Apps) == 0 && !c.NoDemo {
		doc, err := demo.Design()
		if err != nil {
			return err
		}
		if _, err := eng.ImportDesign(ctx, doc, false); err != nil {
			return fmt.Errorf("seed demo design: %w", err)
		}
		if err := seedDemoService(ctx, eng, "http://"+self+exampleservice.CourierPath); err != nil {
			return err
		}
		log.Info("seeded the demo design (the ODC web-store example); start with --no-demo to skip it")
	}
	if err := setAlertWebhook(ctx, eng, c.AlertWebhook, stdout); err != nil {
		return err
	}
	m.Watch(ctx, eng)
	if err := eng.Start(ctx); err != nil {
		return err
	}
	live, stopLive, err := be.liveBus(eng)
	if err != nil {
		return err
	}
	defer stopLive()
	ws := web.New(web.Config{Engine: eng, Logger: log, SecureCookies: c.SecureCookies, Metrics: m, MetricsToken: c.MetricsToken, LiveBus: live, TraceURL: c.TraceURL})
	defer ws.Close()
	handler, stopDemo := ws.Handler(), func() {}
	if !c.NoDemo {
		if handler, stopDemo, err = demoService(ctx, eng, log, "http://"+self, "http://"+self+exampleservice.CourierPath, handler); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, c.ReadTimeout),
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug), // a client hanging up is no error of the server's
	}
	errc := make(chan error, 2)
	var msrv *http.Server
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		fmt.Fprintf(stdout, "  metrics: http://%s/metrics (no credentials: keep this address private)\n", mln.Addr())
		go func() { errc <- msrv.Serve(mln) }()
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	go func() { errc <- srv.Serve(web.LimitPerClient(ln, c.MaxConnsPerClient)) }()
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing running handlers", "timeout", c.ShutdownTimeout)
	case err := <-errc:
		stopDemo()
		_ = eng.Close(context.Background())
		return err
	}
	stopDemo() // its long polls end before the server waits for open requests
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	ws.Close() // live streams end first: Shutdown does not wait for hijacked connections
	herr := srv.Shutdown(sctx)
	if msrv != nil {
		herr = errors.Join(herr, msrv.Shutdown(sctx))
	}
	eerr := eng.Close(sctx)
	if err := errors.Join(herr, eerr); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// listenError explains a failed listen: a busy port names the flag and
// variable that pick another.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the address is in use (another Eventloom server, or another program); stop it, or pick another address with --addr (EVENTLOOM_ADDR), e.g. --addr 127.0.0.1:8081", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w; give a host:port such as 127.0.0.1:8080 with --addr (EVENTLOOM_ADDR)", addr, err)
}
