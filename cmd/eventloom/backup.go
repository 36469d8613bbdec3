package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/eventloom/eventloom/web/client"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// backupProgressBytes is how often (in bytes received) backup reports its
// progress: a line per 16 MiB keeps a multi-gigabyte download visibly
// moving without flooding the terminal, and a small database prints none.
const backupProgressBytes = 16 << 20

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "overwrite FILE when it exists")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom backup [--force] FILE\n\nSaves a consistent copy of the running server's database to FILE, while\nthe server keeps running. To restore it, see the README (Backups).\n\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return errors.New("name the file to write, e.g. eventloom backup eventloom-backup.db")
	}
	file := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup takes one FILE; got also %q", fs.Args())
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	n, err := saveBackup(ctx, c, file, *force, stderr, backupProgressBytes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d bytes to %s\n", n, file)
	return nil
}

// saveBackup downloads GET /api/v1/backup into file through a temporary
// file beside it, renamed into place only when every byte the server
// announced has arrived: an interrupted download never leaves a truncated
// file that looks like a backup. It reports progress on progress every
// stepBytes.
func saveBackup(ctx context.Context, c *client.Client, file string, force bool, progress io.Writer, stepBytes int64) (int64, error) {
	if _, err := os.Stat(file); err == nil && !force {
		return 0, fmt.Errorf("%s exists already; choose another name or add --force to overwrite it", file)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("check %s: %w", file, err)
	}
	resp, err := c.Stream(ctx, http.MethodGet, "/api/v1/backup")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	want, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the server sent no Content-Length for the backup (%q); is it an Eventloom server?", resp.Header.Get("Content-Length"))
	}

	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".partial-*")
	if err != nil {
		return 0, fmt.Errorf("create a file beside %s: %w", file, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	pw := &progressWriter{w: tmp, out: progress, total: want, step: stepBytes, next: stepBytes}
	n, err := io.Copy(pw, resp.Body)
	if err == nil && n != want {
		err = fmt.Errorf("the server announced %d bytes but sent %d", want, n)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("download the backup: %w; nothing was written to %s", err, file)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, fmt.Errorf("move the backup into place: %w", err)
	}
	return n, nil
}

// progressWriter counts bytes on their way to w and prints a line to out
// each time another step of them has passed.
type progressWriter struct {
	w           io.Writer
	out         io.Writer
	done, total int64
	step, next  int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	for p.step > 0 && p.done >= p.next {
		fmt.Fprintf(p.out, "backup: %d of %d bytes written (%d%%)\n", p.done, p.total, p.done*100/max(p.total, 1))
		p.next += p.step
	}
	return n, err
}
