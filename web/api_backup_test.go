package web_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestAPIBackupWhileTriggering takes a backup while a producer keeps
// triggering: the download is a valid SQLite database holding every
// occurrence acknowledged before the backup was asked for, and its headers
// name a file and its exact length.
func TestAPIBackupWhileTriggering(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey, _ := key["key"].(string)
	if shopKey == "" {
		t.Fatalf("no key created: %v", key)
	}

	var (
		mu    sync.Mutex
		acked []int64
	)
	enough := make(chan struct{}) // closed after 50 acknowledgements
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return nil
				default:
				}
				req, err := http.NewRequest("POST", s.url+"/api/v1/apps/Shop/events/OrderPlaced/trigger",
					strings.NewReader(fmt.Sprintf(`{"Sku":"S-%d","Qty":%d}`, i, i+1)))
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+shopKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				var res engine.TriggerResult
				err = json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted || err != nil || res.OccurrenceID == 0 {
					return fmt.Errorf("trigger %d = %d %+v %v", i, resp.StatusCode, res, err)
				}
				mu.Lock()
				acked = append(acked, res.OccurrenceID)
				if len(acked) == 50 {
					close(enough)
				}
				mu.Unlock()
			}
		}()
	}()
	select {
	case <-enough:
	case err := <-done:
		t.Fatalf("producer stopped early: %v", err)
	}

	mu.Lock()
	before := append([]int64(nil), acked...)
	mu.Unlock()
	req, err := http.NewRequest("GET", s.url+"/api/v1/backup", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	resp.Body.Close()
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatalf("read the backup: %v %v", err, cerr)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("producer: %v", err)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	t.Logf("backup of %d bytes; %d occurrences acknowledged before it, %d while it ran", n, len(before), during)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("backup = %d", resp.StatusCode)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.FormatInt(n, 10) {
		t.Fatalf("Content-Length = %q; the body has %d bytes", cl, n)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="eventloom-`) || !strings.HasSuffix(cd, `.db"`) {
		t.Fatalf("Content-Disposition = %q; want an attachment named eventloom-<time>.db", cd)
	}

	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q %v", check, err)
	}
	ids := map[int64]bool{}
	rows, err := db.Query("SELECT id FROM occurrences")
	if err != nil {
		t.Fatalf("read the backup's occurrences: %v", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if !ids[id] {
			t.Fatalf("occurrence %d, acknowledged before the backup, is missing from it (it holds %d)", id, len(ids))
		}
	}
	var deliveries int
	if err := db.QueryRow("SELECT count(*) FROM deliveries").Scan(&deliveries); err != nil || deliveries < len(before) {
		t.Fatalf("backup holds %d deliveries, %v; want at least one per acknowledged occurrence (%d)", deliveries, err, len(before))
	}

}

// TestAPIBackupRefusals: only the admin token may download the database.
func TestAPIBackupRefusals(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey, _ := key["key"].(string)
	for _, c := range []struct{ name, token string }{
		{"no token", ""}, {"an app key", shopKey}, {"a wrong token", "not-the-admin-token"},
	} {
		code, body, h := s.call("GET", "/api/v1/backup", c.token, "")
		if code != http.StatusUnauthorized || errCode(body) == "" || h.Get("Content-Disposition") != "" {
			t.Errorf("%s: backup = %d %v; want 401 with an error and no download", c.name, code, body)
		}
	}
}
