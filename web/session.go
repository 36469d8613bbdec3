package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// sessionCookie names the console's session cookie.
const sessionCookie = "eventloom_session"

// sessionTTL is how long a console sign-in lasts without use: a working
// day, so a person signs in once a day.
const sessionTTL = 12 * time.Hour

// sessions are the console's sign-ins, kept in memory: a restart signs
// everyone out, which a single-node admin console can afford, and no
// session secret ever reaches the disk.
type sessions struct {
	mu  sync.Mutex
	ids map[string]time.Time // id -> expiry
	now func() time.Time
	// secure forces the cookie's Secure flag (TLS ends at a proxy).
	secure bool
}

func newSessions(now func() time.Time, secure bool) *sessions {
	return &sessions{ids: map[string]time.Time{}, now: now, secure: secure}
}

// create starts a session and sets its cookie.
func (s *sessions) create(w http.ResponseWriter, r *http.Request) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	now := s.now()
	for k, exp := range s.ids { // sweep, so the map never grows without bound
		if now.After(exp) {
			delete(s.ids, k)
		}
	}
	s.ids[id] = now.Add(sessionTTL)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure || r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	return nil
}

// valid reports whether r carries a live session, and extends it.
func (s *sessions) valid(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.ids[c.Value]
	if !ok || s.now().After(exp) {
		delete(s.ids, c.Value)
		return false
	}
	s.ids[c.Value] = s.now().Add(sessionTTL)
	return true
}

// end signs r's session out and clears its cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.ids, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
