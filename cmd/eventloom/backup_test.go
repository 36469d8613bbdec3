package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestBackupCommand starts the real server, saves its database with the
// backup command, and checks the file is a sound database holding the demo
// design; an existing file is refused without --force, a wrong token is
// refused with the server's reason, and progress lines appear per step.
func TestBackupCommand(t *testing.T) {
	const token = "cli-backup-token-0123456789abc"
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", token)
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, io.Discard, io.Discard, ready) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		t.Setenv("EVENTLOOM_URL", "http://"+addr)
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start within 20s")
	}

	file := filepath.Join(t.TempDir(), "copy.db")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"backup", file}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "bytes to "+file) {
		t.Fatalf("backup exit %d: %q %q", code, stdout.String(), stderr.String())
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var apps int
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q %v", check, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM apps WHERE name = 'Storefront' AND deleted_at IS NULL").Scan(&apps); err != nil || apps != 1 {
		t.Fatalf("the backup holds %d Storefront apps, %v; want the demo design", apps, err)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil || len(entries) != 1 {
		t.Fatalf("the backup's folder holds %v, %v; want the backup alone (no partial file)", entries, err)
	}

	stdout.Reset()
	stderr.Reset()
	before, _ := os.ReadFile(file)
	if code := run(ctx, []string{"backup", file}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "--force") {
		t.Fatalf("backup over an existing file = exit %d, %q; want a refusal naming --force", code, stderr.String())
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Fatal("a refused backup changed the existing file")
	}
	if code := run(ctx, []string{"backup", file, "--force"}, &stdout, &stderr); code != 0 {
		t.Fatalf("backup --force exit %d: %q", code, stderr.String())
	}
	if code := run(ctx, []string{"backup"}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "name the file") {
		t.Fatalf("backup without FILE = exit %d, %q", code, stderr.String())
	}

	cl, err := newClient()
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	n, err := saveBackup(ctx, cl, filepath.Join(t.TempDir(), "stepped.db"), false, &progress, 16<<10)
	if err != nil || n == 0 || strings.Count(progress.String(), "bytes written") != int(n/(16<<10)) {
		t.Fatalf("saveBackup = %d, %v; progress:\n%s\nwant a line per 16 KiB", n, err, progress.String())
	}

	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "not-the-token")
	stderr.Reset()
	other := filepath.Join(t.TempDir(), "refused.db")
	if code := run(ctx, []string{"backup", other}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "401") {
		t.Fatalf("backup with a wrong token = exit %d, %q; want the 401 refusal", code, stderr.String())
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("a refused backup left %s: %v", other, err)
	}
}
