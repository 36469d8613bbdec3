package main

import (
	"context"
	"fmt"
	"io"

	"github.com/eventloom/eventloom/engine"
)

// setAlertWebhook makes url (from --alert-webhook) the alert webhook
// when it differs from the stored one, printing its new signing secret:
// the only time it is shown. An empty url leaves the setting as it is
// (the API may have set one).
func setAlertWebhook(ctx context.Context, eng *engine.Engine, url string, stdout io.Writer) error {
	if url == "" {
		return nil
	}
	ctx = engine.WithActor(ctx, engine.Actor{Name: "system"})
	cur, err := eng.AlertWebhookURL(ctx)
	if err != nil {
		return err
	}
	if cur == url {
		fmt.Fprintf(stdout, "  alerts go to %s (signed with the secret printed when it was set)\n", url)
		return nil
	}
	w, err := eng.SetAlertWebhook(ctx, url)
	if err != nil {
		return fmt.Errorf("--alert-webhook (EVENTLOOM_ALERT_WEBHOOK): %w", err)
	}
	fmt.Fprintf(stdout, "  alerts go to %s, signed with this secret (shown once): %s\n", w.URL, w.Secret)
	return nil
}
