package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// ErrRefused is what every *RefusedError matches with errors.Is.
var ErrRefused = errors.New("outbound call refused by the address guard")

// RefusedError is a connection the guard refused: Host (as the URL gave
// it) resolved to Addr, which falls under Rule and is not allowed.
type RefusedError struct {
	Host string
	Port uint16
	// Addr is the refused address as it was checked (unmapped).
	Addr netip.Addr
	Rule Rule
	// Why says what the refused range is.
	Why string
}

// Error names the rule, the address and how to allow it.
func (e *RefusedError) Error() string {
	target := net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port)))
	what := fmt.Sprintf("%s is a %s address (%s)", e.Addr, e.Rule, e.Why)
	allow := netip.PrefixFrom(e.Addr, e.Addr.BitLen()).String()
	if ip, err := netip.ParseAddr(e.Host); err != nil || ip.Unmap() != e.Addr {
		what = fmt.Sprintf("%s resolves to %s, a %s address (%s)", e.Host, e.Addr, e.Rule, e.Why)
		allow = target
	}
	return fmt.Sprintf("the outbound guard refused a call to %s: %s; if this endpoint is meant to be reached, start the server with --allow-endpoints %s (EVENTLOOM_ALLOW_ENDPOINTS)", target, what, allow)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Resolver finds the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialTimeout bounds one connection attempt. Ten seconds is far beyond a
// healthy connect anywhere on the internet and well inside the 2-minute
// handler timeout, so a black-holed address fails the attempt with its
// reason instead of using up the whole run.
const DialTimeout = 10 * time.Second

// Config is what a Guard is built from; the zero value refuses every
// class of Rule and resolves and dials through the system.
type Config struct {
	// Allow lets addresses through despite the rules (--allow-endpoints).
	Allow Allow
	// Resolver resolves host names; default net.DefaultResolver. Tests
	// inject one so no lookup leaves the process.
	Resolver Resolver
	// Dial opens a connection to an address the guard accepted; it is
	// only ever given an IP:port, never a name, so the address checked is
	// the address connected to (no second lookup can answer differently).
	// Default: a net.Dialer with DialTimeout. Tests inject one so no
	// packet leaves the process.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Guard checks every connection of its clients at connect time. It is
// safe for concurrent use.
type Guard struct {
	allow    Allow
	resolver Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

// New returns a guard for cfg.
func New(cfg Config) *Guard {
	g := &Guard{allow: cfg.Allow, resolver: cfg.Resolver, dial: cfg.Dial}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.dial == nil {
		d := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
		g.dial = d.DialContext
	}
	return g
}

// Check returns a *RefusedError when ip, reached as host on port, falls
// under a rule and is not allowed; nil otherwise.
func (g *Guard) Check(host string, port uint16, ip netip.Addr) error {
	if g.allow.name(host, port) || g.allow.addr(ip, port) {
		return nil
	}
	c, checked, refused := classify(ip)
	if !refused || g.allow.addr(checked, port) {
		return nil
	}
	return &RefusedError{Host: host, Port: port, Addr: checked, Rule: c.rule, Why: c.prefix.String() + ", " + c.why}
}

// DialContext resolves address (host:port), checks every address it
// resolves to and connects to the first accepted one that answers. When
// none is accepted it returns the *RefusedError of the first, and nothing
// is sent anywhere.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("outbound call to %q: %w", address, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("outbound call to %q: the port is not a number from 0 to 65535", address)
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	case "tcp":
	default:
		return nil, fmt.Errorf("outbound call to %s: network %q is not allowed; only TCP is", address, network)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = g.resolver.LookupNetIP(ctx, ipNet, host); err != nil {
		return nil, fmt.Errorf("outbound call to %s: resolve %s: %w", address, host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("outbound call to %s: %s resolves to no address", address, host)
	}
	var refused, dialErr error
	for _, ip := range ips {
		if err := g.Check(host, uint16(port), ip); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		conn, err := g.dial(ctx, network, netip.AddrPortFrom(ip.WithZone("").Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		dialErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, refused
}

// Client returns a client whose connections all pass the guard. It never
// follows a redirect (a 3xx is the answer, so a receiver cannot bounce a
// call past the guard's intent), reads no proxy from the environment (a
// proxy would connect on the guard's behalf to addresses it never saw),
// and has no overall timeout: a call is bounded by its context (the
// handler timeout) and its connect and TLS handshake by their own.
func (g *Guard) Client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second, // as http.DefaultTransport
			ExpectContinueTimeout: time.Second,      // as http.DefaultTransport
			IdleConnTimeout:       90 * time.Second, // as http.DefaultTransport
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   16, // a busy endpoint keeps a few warm connections per process
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
