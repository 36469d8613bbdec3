package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/eventloom/eventloom/web/client"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// newClient is a client of the running server with the admin token, for
// the trigger, export and import commands.
func newClient() (*client.Client, error) {
	return newClientAs("")
}

// newClientAs is a client of the running server with an app key when key
// is set (EVENTLOOM_APP_KEY or trigger's --key), the admin token otherwise.
func newClientAs(key string) (*client.Client, error) {
	base := os.Getenv("EVENTLOOM_URL")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	if key != "" {
		return client.New(base, key), nil
	}
	tok := os.Getenv("EVENTLOOM_ADMIN_TOKEN")
	if tok == "" {
		return nil, errors.New("set EVENTLOOM_ADMIN_TOKEN to the server's admin token, or give trigger an app key with --key or EVENTLOOM_APP_KEY (and set EVENTLOOM_URL when the server is not at http://127.0.0.1:8080)")
	}
	return client.New(base, tok), nil
}

func triggerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "trigger with this app key of the event's owner instead of the admin token (default $EVENTLOOM_APP_KEY)")
	batch := fs.String("batch", "", "trigger once per element of this JSON file, an array of parameter objects (- reads standard input), up to 500")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom trigger [--key KEY] APP EVENT [Name=value ...]\n       eventloom trigger [--key KEY] --batch FILE APP EVENT\n\nTriggers APP's EVENT on the running server; each value is read by its\nparameter's type. Flags come before APP. Examples:\n  eventloom trigger Storefront OnPurchaseStarted ProductId=P-1 Quantity=2 CustomerEmail=ann@example.com Amount=99.50\n  eventloom trigger --key elk_... --batch purchases.json Storefront OnPurchaseStarted\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return errors.New("name the app and the event")
	}
	if *key == "" {
		*key = os.Getenv("EVENTLOOM_APP_KEY")
	}
	if *batch != "" {
		if fs.NArg() > 2 {
			return fmt.Errorf("--batch takes the parameters from %s; leave out %s", *batch, strings.Join(fs.Args()[2:], " "))
		}
		return triggerBatch(ctx, *key, *batch, fs.Arg(0), fs.Arg(1), stdout)
	}
	form := url.Values{}
	for _, kv := range fs.Args()[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not Name=value", kv)
		}
		form.Set(k, v)
	}
	c, err := newClientAs(*key)
	if err != nil {
		return err
	}
	path := "/api/v1/apps/" + url.PathEscape(fs.Arg(0)) + "/events/" + url.PathEscape(fs.Arg(1)) + "/trigger"
	b, err := c.Do(ctx, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "json", "json (the design, for eventloom import), asyncapi (an AsyncAPI 3.0 document) or asyncapi-yaml (the same in YAML)")
	asyncAPI := fs.Bool("asyncapi", false, "short for --format asyncapi")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom export [--format json|asyncapi|asyncapi-yaml] > design.json\n\nWrites every app, event and subscription of the running server as JSON, or\nas an AsyncAPI 3.0 document in JSON or YAML (which eventloom import also reads).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("export takes no arguments")
	}
	if *asyncAPI {
		*format = "asyncapi"
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	var b []byte
	switch *format {
	case "json":
		b, err = c.Do(ctx, http.MethodGet, "/api/v1/design", "", nil)
	case "asyncapi":
		b, err = c.AsyncAPI(ctx)
	case "asyncapi-yaml":
		if b, err = c.Do(ctx, http.MethodGet, "/api/v1/design/asyncapi?format=yaml", "", nil); err == nil {
			_, err = stdout.Write(b)
		}
		return err
	default:
		return fmt.Errorf("--format %q: use json, asyncapi or asyncapi-yaml", *format)
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = stdout.Write(out.Bytes())
	return err
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "report what would change (and which subscriptions it would break) without changing it")
	confirm := fs.Bool("confirm-breaking", false, "make the import even though it breaks subscriptions (a parameter removed, retyped or made mandatory; an event made private or deleted while other apps handle it)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom import [--dry-run] [--confirm-breaking] design.json\n\nReplaces the running server's design by the file's (a design exported as JSON\nor an AsyncAPI 3.0 document), validated whole before anything changes;\nprints the changes. An import that breaks other apps' subscriptions is\nrefused, naming them, unless --confirm-breaking.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// Accept the flags after the file name too.
	var files []string
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "dry-run":
			*dry = true
			continue
		case "confirm-breaking":
			*confirm = true
			continue
		}
		files = append(files, a)
	}
	if err := fs.Parse(files); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("name one design file")
	}
	body, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *dry {
		q.Set("dryRun", "true")
	}
	if *confirm {
		q.Set("confirm", "breaking")
	}
	path := "/api/v1/design"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	contentType := "application/json"
	if ext := strings.ToLower(filepath.Ext(fs.Arg(0))); ext == ".yaml" || ext == ".yml" {
		contentType = "application/yaml" // an AsyncAPI document in YAML
	}
	b, err := c.Do(ctx, http.MethodPut, path, contentType, bytes.NewReader(body))
	if ce := (*client.Error)(nil); errors.As(err, &ce) && ce.Code == "breaking_change" {
		return fmt.Errorf("%w\nnothing was imported; run with --dry-run to list the breaks, or add --confirm-breaking to import anyway", err)
	}
	if err != nil {
		return err
	}
	var res struct {
		DryRun  bool `json:"dryRun"`
		Changes []struct{ Action, Kind, Name string }
		Breaks  []struct{ Subscription, Reason string }
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	verb := "changed"
	if res.DryRun {
		verb = "would change"
	}
	fmt.Fprintf(stdout, "%d %s\n", len(res.Changes), verb)
	for _, ch := range res.Changes {
		fmt.Fprintf(stdout, "  %s %s %s\n", ch.Action, ch.Kind, ch.Name)
	}
	if len(res.Breaks) > 0 {
		verb = "broken subscription(s), as confirmed"
		if res.DryRun {
			verb = "subscription(s) it would break (import with --confirm-breaking to make it anyway)"
		}
		fmt.Fprintf(stdout, "%d %s\n", len(res.Breaks), verb)
		for _, x := range res.Breaks {
			fmt.Fprintf(stdout, "  %s: %s\n", x.Subscription, x.Reason)
		}
	}
	return nil
}
