package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// alertWebhookSetting names the setting holding the alert webhook: its
// URL and signing secret as JSON, "" when none is set.
const alertWebhookSetting = "alert_webhook"

// alertRetries are the waits before the second, third and fourth
// attempt to send one alert; a receiver down longer misses it (the
// console and the API still list it).
var alertRetries = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}

// AlertWebhook is where alerts are sent. Secret signs them (Standard
// Webhooks, like every webhook) and is shown once, when the webhook is
// set; lists leave it out.
type AlertWebhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// SetAlertWebhook makes rawURL (http or https, absolute) the alert
// webhook with a fresh signing secret, which it returns: the only time
// the secret is shown. The change is audited without the secret.
func (e *Engine) SetAlertWebhook(ctx context.Context, rawURL string) (AlertWebhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return AlertWebhook{}, fault.Field("url", "invalid_url", fmt.Sprintf("the alert webhook must be an absolute http or https URL, such as https://ops.example.com/eventloom-alerts; got %q", rawURL))
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return AlertWebhook{}, fmt.Errorf("alert webhook secret: %w", err)
	}
	w := AlertWebhook{URL: u.String(), Secret: secretPrefix + base64.StdEncoding.EncodeToString(key)}
	b, err := json.Marshal(w)
	if err != nil {
		return AlertWebhook{}, fmt.Errorf("alert webhook: %w", err)
	}
	if err := e.st.SettingPut(ctx, alertWebhookSetting, string(b)); err != nil {
		return AlertWebhook{}, fmt.Errorf("store the alert webhook: %w", err)
	}
	if err := e.audit(ctx, "alerts.webhook.set", "alert webhook", map[string]string{"url": w.URL}); err != nil {
		return AlertWebhook{}, err
	}
	return w, nil
}

// RemoveAlertWebhook stops sending alerts anywhere (they are still kept
// and listed).
func (e *Engine) RemoveAlertWebhook(ctx context.Context) error {
	if err := e.st.SettingPut(ctx, alertWebhookSetting, ""); err != nil {
		return fmt.Errorf("remove the alert webhook: %w", err)
	}
	return e.audit(ctx, "alerts.webhook.remove", "alert webhook", nil)
}

// AlertWebhookURL returns the alert webhook's URL, "" when none is set.
func (e *Engine) AlertWebhookURL(ctx context.Context) (string, error) {
	w, err := e.alertWebhook(ctx)
	return w.URL, err
}

func (e *Engine) alertWebhook(ctx context.Context) (AlertWebhook, error) {
	v, err := e.st.SettingGet(ctx, alertWebhookSetting)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && v == "") {
		return AlertWebhook{}, nil
	}
	if err != nil {
		return AlertWebhook{}, fmt.Errorf("read the alert webhook: %w", err)
	}
	var w AlertWebhook
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return AlertWebhook{}, fmt.Errorf("read the alert webhook: %w", err)
	}
	return w, nil
}

// alertBody is what the alert webhook receives: the Standard Webhooks
// shape, a type, a timestamp and the alert as data.
type alertBody struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Alert     `json:"data"`
}

// sendAlert posts a to the alert webhook, if one is set, in the
// background through Config.HTTPClient (the outbound guard), retrying
// after alertRetries on the engine's clock.
func (e *Engine) sendAlert(a Alert) {
	ctx := context.WithoutCancel(e.d.runCtx)
	w, err := e.alertWebhook(ctx)
	if err != nil {
		e.log.Error("alert webhook", "error", err)
		return
	}
	if w.URL == "" {
		return
	}
	body, err := json.Marshal(alertBody{Type: "alert." + string(a.Kind), Timestamp: a.At.UTC(), Data: a})
	if err != nil {
		e.log.Error("alert webhook", "error", err)
		return
	}
	var try func(n int)
	try = func(n int) {
		if e.d.isClosed() {
			return
		}
		err := e.postAlert(w, a.ID, body)
		if err == nil {
			return
		}
		if n >= len(alertRetries) {
			e.log.Error("alert webhook: giving up", "alert_id", a.ID, "attempts", n+1, "error", err)
			return
		}
		e.log.Warn("alert webhook: will retry", "alert_id", a.ID, "attempt", n+1, "error", err)
		e.clk.AfterFunc(alertRetries[n], func() { try(n + 1) })
	}
	go try(0)
}

// postAlert makes one signed attempt; a 2xx answer is success.
func (e *Engine) postAlert(w AlertWebhook, id int64, body []byte) error {
	ctx, cancel := context.WithTimeout(e.d.runCtx, e.cfg.HandlerTimeout)
	defer cancel()
	msgID := "alert_" + strconv.FormatInt(id, 10)
	now := e.clk.Now()
	sig, err := signature(storage.AppSecret{Current: w.Secret}, now, msgID, now, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	signedHeaders(req.Header, "application/json", msgID, now, sig)
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", w.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s answered %s", w.URL, resp.Status)
	}
	return nil
}

// signedHeaders sets the headers of a signed webhook request (a
// delivery's or an alert's): its content type, and the Standard Webhooks
// id, timestamp and signature.
func signedHeaders(h http.Header, contentType, id string, at time.Time, sig string) {
	h.Set("Content-Type", contentType)
	h.Set("User-Agent", "Eventloom")
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
}
