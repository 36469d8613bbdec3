// Command eventloom-example is a small service on both ends of an
// Eventloom server: the demo's courier endpoint, receiving signed
// webhooks, and its accounting worker, pulling deliveries. It uses only
// the Go client (web/client), as a service in its own repository would.
//
//	eventloom-example -server http://127.0.0.1:8080 -key elk_... -secret whsec_... -listen 127.0.0.1:9090
//
// Point the Courier app's endpoint at http://127.0.0.1:9090/demo/courier
// and allow it: eventloom serve --allow-endpoints 127.0.0.1:9090.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventloom/eventloom/web/exampleservice"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eventloom-example:", err)
		os.Exit(1)
	}
}

func run() error {
	server := flag.String("server", "http://127.0.0.1:8080", "the Eventloom server")
	key := flag.String("key", os.Getenv("ACCOUNTING_KEY"), "an app key of Accounting, to pull its deliveries (ACCOUNTING_KEY)")
	secret := flag.String("secret", os.Getenv("COURIER_SECRET"), "Courier's webhook signing secret, whsec_... (COURIER_SECRET)")
	listen := flag.String("listen", "127.0.0.1:9090", "where the courier endpoint listens")
	flag.Parse()
	if *key == "" && *secret == "" {
		return errors.New("give -key (Accounting's app key, to pull) and/or -secret (Courier's signing secret, to receive webhooks)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.Default()
	cfg := exampleservice.Config{Server: *server, AccountingKey: *key, Logger: log}
	errc := make(chan error, 2)
	if *secret != "" {
		cfg.CourierSecrets = []string{*secret}
		hooks, err := exampleservice.Webhooks(cfg)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w; pick another with -listen", *listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle(exampleservice.CourierPath+"/", hooks)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		log.Info("courier endpoint listening", "url", "http://"+ln.Addr().String()+exampleservice.CourierPath)
		go func() { errc <- srv.Serve(ln) }()
		defer srv.Close()
	}
	if *key != "" {
		go func() { errc <- exampleservice.Work(ctx, cfg) }()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}
