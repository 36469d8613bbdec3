package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashDesign is a chain: Shop's OrderPlaced is handled by Stock, whose
// flow triggers Reserved (a flow effect, to exist exactly once per Stock
// delivery), handled by Mail.
const crashDesign = `{
 "apps":[{"name":"Shop"},{"name":"Stock"},{"name":"Mail"}],
 "events":[
  {"app":"Shop","name":"OrderPlaced","public":true,"parameters":[{"name":"N","type":"Integer","mandatory":true}]},
  {"app":"Stock","name":"Reserved","public":true,"parameters":[{"name":"N","type":"Integer","mandatory":true}]}
 ],
 "subscriptions":[
  {"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"trigger","event":"Reserved","parameters":{"N":"N"}}]}},
  {"app":"Mail","event":"Stock.Reserved","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"mail {{ N }}"}]}}
 ]}`

const crashToken = "crash-test-admin-token-0123456789"

// TestCrashUnderLoad builds the real binary and, three times, runs it on
// one data directory under a load of HTTP triggers and kills it with
// SIGKILL at a random moment. A last start then drains. Every trigger the
// server acknowledged (202) must be stored, every delivery must end
// succeeded, and Stock's flow effect must exist exactly once per Stock
// delivery. Loopback only; each phase is bounded.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it three times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "eventloom")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	acked := map[int64]bool{} // N of every acknowledged trigger
	var mu sync.Mutex
	var next int64
	for round := 1; round <= 3; round++ {
		srv := startBinary(t, bin, data)
		if round == 1 {
			if code, body := apiCall(t, srv.base, "PUT", "/api/v1/design", crashDesign); code != 200 {
				t.Fatalf("import = %d %s", code, body)
			}
		}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for p := 0; p < 8; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Timeout: 10 * time.Second}
				for ctx.Err() == nil {
					mu.Lock()
					next++
					n := next
					mu.Unlock()
					req, _ := http.NewRequestWithContext(ctx, "POST", srv.base+"/api/v1/apps/Shop/events/OrderPlaced/trigger", strings.NewReader(fmt.Sprintf(`{"N":%d}`, n)))
					req.Header.Set("Authorization", "Bearer "+crashToken)
					resp, err := hc.Do(req)
					if err != nil {
						continue // the server died under us: this one was never acknowledged
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						acked[n] = true
						mu.Unlock()
					}
				}
			}()
		}
		// A random moment under load: after at least 20 acknowledged
		// triggers of this round, then a random extra while.
		waitFor(t, 60*time.Second, "20 acknowledged triggers", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= 20*round
		})
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // the kill moment, not an assertion
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = srv.cmd.Wait()
		stop()
		wg.Wait()
		t.Logf("round %d: killed with %d acknowledged triggers so far", round, len(acked))
	}

	srv := startBinary(t, bin, data)
	defer srv.stop(t)
	// Settled: every delivery finished, and every Stock success's effect
	// has its Mail delivery (a Mail delivery appears only once the Stock
	// one that triggered it committed, so one read of the lists can be
	// between the two).
	waitFor(t, 120*time.Second, "every delivery to finish", func() bool {
		all := listAll(t, srv.base, "/api/v1/deliveries")
		for _, d := range all {
			var status string
			_ = json.Unmarshal(d["status"], &status)
			if status != "succeeded" && status != "dead" {
				return false
			}
		}
		orders := len(listAll(t, srv.base, "/api/v1/occurrences?event=Shop.OrderPlaced"))
		reserved := len(listAll(t, srv.base, "/api/v1/occurrences?event=Stock.Reserved"))
		return len(all) == orders+reserved && len(all) == len(listAll(t, srv.base, "/api/v1/deliveries"))
	})
	stored := map[int64]bool{}
	for _, o := range listAll(t, srv.base, "/api/v1/occurrences?event=Shop.OrderPlaced") {
		var p struct{ N int64 }
		_ = json.Unmarshal(o["parameters"], &p)
		stored[p.N] = true
	}
	for n := range acked {
		if !stored[n] {
			t.Errorf("trigger N=%d was acknowledged but is not stored", n)
		}
	}
	effects := map[int64]int{} // Stock delivery id -> Reserved occurrences it triggered
	for _, o := range listAll(t, srv.base, "/api/v1/occurrences?event=Stock.Reserved") {
		var parent int64
		_ = json.Unmarshal(o["parentDeliveryId"], &parent)
		effects[parent]++
	}
	stock := listAll(t, srv.base, "/api/v1/deliveries?app=Stock")
	for _, d := range stock {
		var id int64
		var status string
		_ = json.Unmarshal(d["id"], &id)
		_ = json.Unmarshal(d["status"], &status)
		if status != "succeeded" {
			t.Errorf("Stock delivery %d ended %s, want succeeded", id, status)
		}
		if effects[id] != 1 {
			t.Errorf("Stock delivery %d triggered Reserved %d times, want exactly once", id, effects[id])
		}
	}
	if len(stock) != len(stored) {
		t.Errorf("%d Stock deliveries for %d stored orders", len(stock), len(stored))
	}
	for _, d := range listAll(t, srv.base, "/api/v1/deliveries?app=Mail") {
		var status string
		_ = json.Unmarshal(d["status"], &status)
		if status != "succeeded" {
			t.Errorf("a Mail delivery ended %s", status)
		}
	}
	t.Logf("%d acknowledged, %d stored, %d Stock deliveries, %d flow effects", len(acked), len(stored), len(stock), len(effects))
}

type binaryServer struct {
	cmd  *exec.Cmd
	base string
}

// startBinary runs the built server on a free loopback port over data and
// waits for its "running at" line.
func startBinary(t *testing.T, bin, data string) *binaryServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--no-demo", "--retry-unit", "1s", "--handler-timeout", "3s", "--shutdown-timeout", "5s")
	cmd.Env = append(os.Environ(), "EVENTLOOM_ADMIN_TOKEN="+crashToken)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Eventloom is running at "); ok {
				found <- strings.TrimSuffix(u, "/")
			}
		}
	}()
	select {
	case base := <-found:
		return &binaryServer{cmd: cmd, base: base}
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start within 60s: %s", stderr.String())
	}
	return nil
}

func (s *binaryServer) stop(t *testing.T) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func apiCall(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+crashToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// listAll reads every page of a list route.
func listAll(t *testing.T, base, path string) []map[string]json.RawMessage {
	t.Helper()
	var all []map[string]json.RawMessage
	cursor := ""
	for {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		url := path + sep + "limit=500"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		code, body := apiCall(t, base, "GET", url, "")
		if code != 200 {
			t.Fatalf("GET %s = %d %s", url, code, body)
		}
		var page struct {
			Items      []map[string]json.RawMessage `json:"items"`
			NextCursor string                       `json:"nextCursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// waitFor polls cond until it holds, failing after bound.
func waitFor(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
