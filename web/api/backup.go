package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// backupMinBytesPerSecond is the slowest download a backup allows itself
// before the write deadline ends it: the server's WriteTimeout (a minute
// by default) would cut a large database short, and no deadline at all
// would let a stalled reader hold a copy of the database on disk forever.
const backupMinBytesPerSecond = 256 << 10

// backup streams a consistent copy of the running database (GET
// /api/v1/backup, admin only) as a download named for the moment it was
// taken. The copy is a temporary file deleted once sent, or once the
// client goes away.
func (s *API) backup(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.eng.Backup(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := b.Close(); err != nil {
			s.log.Error("backup cleanup", "err", err)
		}
	}()
	taken := s.eng.Now().UTC()
	// A socket deadline is wall-clock time, whatever clock the engine runs on.
	deadline := time.Now().Add(time.Minute + time.Duration(b.SizeBytes/backupMinBytesPerSecond)*time.Second)
	// Not every ResponseWriter supports deadlines (a test recorder); then
	// the server's own WriteTimeout stands.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(deadline)

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/vnd.sqlite3")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="eventloom-%s.db"`, taken.Format("20060102T150405Z")))
	h.Set(echo.HeaderContentLength, strconv.FormatInt(b.SizeBytes, 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), b); err != nil {
		// The status is sent; the client sees a short body against
		// Content-Length, and the log says why.
		s.log.Warn("backup stream ended early", "err", err, "size_bytes", b.SizeBytes)
	}
	return nil
}
