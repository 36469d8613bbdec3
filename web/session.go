package web

import (
	"net/http"
	"time"

	"github.com/eventloom/eventloom/engine"
)

// sessionCookie names the console's session cookie.
const sessionCookie = "eventloom_session"

// sessionTTL is how long a console sign-in lasts without use: a working
// day, so a person signs in once a day.
const sessionTTL = 12 * time.Hour

// sessions are the console's sign-ins. The engine stores them (hashed) in
// the data directory, so a restart signs nobody out; this type only
// carries them in and out of cookies.
type sessions struct {
	eng *engine.Engine
	// secure forces the cookie's Secure flag (TLS ends at a proxy).
	secure bool
}

// create starts a session of user ("" for the admin token) and sets its
// cookie.
func (s *sessions) create(w http.ResponseWriter, r *http.Request, user string) error {
	id, err := s.eng.SessionStart(r.Context(), sessionTTL, user)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure || r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	return nil
}

// valid reports whether r carries a live session and who signed in (""
// for the admin token), and extends it. A store that cannot answer is an
// error (a 500 with a request id), never a silent sign-out that would
// send the person round in circles.
func (s *sessions) valid(r *http.Request) (user string, ok bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false, nil
	}
	return s.eng.SessionValid(r.Context(), c.Value, sessionTTL)
}

// end revokes r's session and clears its cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.eng.SessionEnd(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return nil
}
