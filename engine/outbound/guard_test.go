package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventloom/eventloom/engine/outbound"
)

// fakeNet is an injected resolver and dialer: names resolve from a table
// and a dial records its address and hands back one end of a pipe, so no
// lookup or packet leaves the process.
type fakeNet struct {
	mu     sync.Mutex
	names  map[string][]netip.Addr
	dialed []string
}

func (f *fakeNet) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := f.names[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeNet) dial(_ context.Context, _, address string) (net.Conn, error) {
	f.mu.Lock()
	f.dialed = append(f.dialed, address)
	f.mu.Unlock()
	c, s := net.Pipe()
	s.Close()
	return c, nil
}

func (f *fakeNet) guard(t *testing.T, allow string) *outbound.Guard {
	t.Helper()
	a, err := outbound.ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	return outbound.New(outbound.Config{Allow: a, Resolver: f, Dial: f.dial})
}

func (f *fakeNet) dials() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.dialed...)
}

func TestGuardRefusesEachClass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr string
		rule outbound.Rule
	}{
		{"127.0.0.1", outbound.RuleLoopback},
		{"127.9.9.9", outbound.RuleLoopback},
		{"::1", outbound.RuleLoopback},
		{"::ffff:127.0.0.1", outbound.RuleLoopback},
		{"10.0.0.1", outbound.RulePrivate},
		{"172.16.5.4", outbound.RulePrivate},
		{"172.31.255.255", outbound.RulePrivate},
		{"192.168.1.20", outbound.RulePrivate},
		{"fc00::1", outbound.RulePrivate},
		{"fd12:3456::1", outbound.RulePrivate},
		{"::ffff:10.0.0.1", outbound.RulePrivate},
		{"::ffff:192.168.0.1", outbound.RulePrivate},
		{"169.254.10.10", outbound.RuleLinkLocal},
		{"fe80::1", outbound.RuleLinkLocal},
		{"::ffff:169.254.10.10", outbound.RuleLinkLocal},
		{"224.0.0.251", outbound.RuleMulticast},
		{"239.1.2.3", outbound.RuleMulticast},
		{"ff02::1", outbound.RuleMulticast},
		{"::ffff:224.0.0.1", outbound.RuleMulticast},
		{"0.0.0.0", outbound.RuleUnspecified},
		{"::", outbound.RuleUnspecified},
		{"::ffff:0.0.0.0", outbound.RuleUnspecified},
		{"100.64.0.1", outbound.RuleCGNAT},
		{"100.127.255.254", outbound.RuleCGNAT},
		{"::ffff:100.64.0.1", outbound.RuleCGNAT},
		{"169.254.169.254", outbound.RuleMetadata},
		{"fd00:ec2::254", outbound.RuleMetadata},
		{"100.100.100.200", outbound.RuleMetadata},
		{"::ffff:169.254.169.254", outbound.RuleMetadata},
		{"::ffff:100.100.100.200", outbound.RuleMetadata},
		{"64:ff9b::a9fe:a9fe", outbound.RuleMetadata}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", outbound.RuleLoopback},    // NAT64 of 127.0.0.1
		{"255.255.255.255", outbound.RuleReserved},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			t.Parallel()
			f := &fakeNet{}
			g := f.guard(t, "")
			target := net.JoinHostPort(c.addr, "80")
			_, err := g.DialContext(context.Background(), "tcp", target)
			var re *outbound.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, outbound.ErrRefused) {
				t.Fatalf("dial %s: err = %v; want a *RefusedError", target, err)
			}
			if re.Rule != c.rule {
				t.Errorf("dial %s: rule %q; want %q", target, re.Rule, c.rule)
			}
			msg := err.Error()
			if !strings.Contains(msg, string(c.rule)) || !strings.Contains(msg, re.Addr.String()) || !strings.Contains(msg, "--allow-endpoints") {
				t.Errorf("message %q should name the rule, the address and --allow-endpoints", msg)
			}
			if d := f.dials(); len(d) > 0 {
				t.Errorf("a refused address was dialed: %v", d)
			}
		})
	}
}

func TestGuardLetsPublicAddressesThrough(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "100.128.0.1", "172.32.0.1", "::ffff:8.8.8.8"} {
		f := &fakeNet{}
		target := net.JoinHostPort(addr, "443")
		conn, err := f.guard(t, "").DialContext(context.Background(), "tcp", target)
		if err != nil {
			t.Fatalf("dial %s: %v", target, err)
		}
		conn.Close()
		if d := f.dials(); len(d) != 1 {
			t.Fatalf("dial %s: dialed %v; want one dial", target, d)
		}
	}
}

func TestGuardAllowList(t *testing.T) {
	t.Parallel()
	names := map[string][]netip.Addr{
		"receiver.internal": {netip.MustParseAddr("10.0.0.5")},
		"other.internal":    {netip.MustParseAddr("10.0.0.6")},
	}
	cases := []struct {
		name, allow, target string
		ok                  bool
		dialed              string
	}{
		{"cidr allows its range", "10.0.0.0/8", "10.1.2.3:80", true, "10.1.2.3:80"},
		{"cidr allows names resolving into it", "10.0.0.0/24", "receiver.internal:80", true, "10.0.0.5:80"},
		{"cidr leaves other ranges refused", "10.0.0.0/8", "192.168.1.1:80", false, ""},
		{"single address", "127.0.0.1", "127.0.0.1:9000", true, "127.0.0.1:9000"},
		{"ip:port allows that port", "127.0.0.1:9000", "127.0.0.1:9000", true, "127.0.0.1:9000"},
		{"ip:port refuses another port", "127.0.0.1:9000", "127.0.0.1:9001", false, ""},
		{"host:port allows the name", "receiver.internal:8443", "receiver.internal:8443", true, "10.0.0.5:8443"},
		{"host:port is case-insensitive", "Receiver.Internal:8443", "RECEIVER.internal.:8443", true, "10.0.0.5:8443"},
		{"host:port refuses another port", "receiver.internal:8443", "receiver.internal:8444", false, ""},
		{"host:port refuses another name at the same address range", "receiver.internal:8443", "other.internal:8443", false, ""},
		{"host:port refuses its address reached directly", "receiver.internal:8443", "10.0.0.5:8443", false, ""},
		{"v6 cidr", "fd00::/8", "[fd12::1]:80", true, "[fd12::1]:80"},
		{"mapped address matches a v4 cidr", "10.0.0.0/8", "[::ffff:10.0.0.9]:80", true, "10.0.0.9:80"},
	}
	names["RECEIVER.internal."] = names["receiver.internal"]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeNet{names: names}
			conn, err := f.guard(t, c.allow).DialContext(context.Background(), "tcp", c.target)
			if c.ok {
				if err != nil {
					t.Fatalf("dial %s with %q allowed: %v", c.target, c.allow, err)
				}
				conn.Close()
				if d := f.dials(); len(d) != 1 || d[0] != c.dialed {
					t.Fatalf("dialed %v; want [%s]", d, c.dialed)
				}
				return
			}
			if !errors.Is(err, outbound.ErrRefused) {
				t.Fatalf("dial %s with %q allowed: err = %v; want refused", c.target, c.allow, err)
			}
			if d := f.dials(); len(d) > 0 {
				t.Fatalf("dialed %v; want nothing", d)
			}
		})
	}
}

// A name resolving to a refused address is refused at connect time, with
// the name and the address in the message, and nothing is dialed.
func TestGuardRefusesNameResolvingInward(t *testing.T) {
	t.Parallel()
	f := &fakeNet{names: map[string][]netip.Addr{
		"inward.example": {netip.MustParseAddr("10.0.0.1")},
		"mixed.example":  {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("93.184.215.14")},
	}}
	g := f.guard(t, "")
	_, err := g.DialContext(context.Background(), "tcp", "inward.example:443")
	var re *outbound.RefusedError
	if !errors.As(err, &re) || re.Rule != outbound.RulePrivate || re.Addr != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("err = %v; want a private-address refusal of 10.0.0.1", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "inward.example resolves to 10.0.0.1") || !strings.Contains(msg, "--allow-endpoints inward.example:443") {
		t.Errorf("message %q should say what the name resolved to and how to allow it", msg)
	}
	if d := f.dials(); len(d) > 0 {
		t.Fatalf("dialed %v; want nothing", d)
	}
	// Of several addresses, only an accepted one is dialed.
	conn, err := g.DialContext(context.Background(), "tcp", "mixed.example:443")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if d := f.dials(); len(d) != 1 || d[0] != "93.184.215.14:443" {
		t.Fatalf("dialed %v; want only the public address", d)
	}
}

func TestGuardRefusesOtherNetworks(t *testing.T) {
	t.Parallel()
	f := &fakeNet{}
	if _, err := f.guard(t, "").DialContext(context.Background(), "udp", "93.184.215.14:53"); err == nil || !strings.Contains(err.Error(), "only TCP") {
		t.Fatalf("err = %v; want only TCP", err)
	}
}

// receiver is a loopback server counting its requests; it answers 302 to
// /moved and 200 elsewhere.
func receiver(t *testing.T) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	t.Helper()
	var hits, moved atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/target", http.StatusFound)
			return
		}
		if r.URL.Path == "/target" {
			moved.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, &moved
}

func guardAllowing(t *testing.T, allow string) *outbound.Guard {
	t.Helper()
	a, err := outbound.ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	return outbound.New(outbound.Config{Allow: a})
}

func TestClientRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	srv, hits, _ := receiver(t)
	resp, err := outbound.New(outbound.Config{}).Client().Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a call to a loopback receiver succeeded without being allowed")
	}
	if !errors.Is(err, outbound.ErrRefused) || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v; want a loopback refusal", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the receiver got %d requests; want none", hits.Load())
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	srv, hits, moved := receiver(t)
	resp, err := guardAllowing(t, "127.0.0.1/32").Client().Get(srv.URL + "/moved")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d; want the 302 itself", resp.StatusCode)
	}
	if hits.Load() != 1 || moved.Load() != 0 {
		t.Fatalf("hits %d, target %d; want 1 and 0 (the redirect not followed)", hits.Load(), moved.Load())
	}
}

// The client reads no proxy from the environment: with one set, the call
// still goes straight to the (allowed) receiver. Were the proxy used, the
// guard would refuse its private address before any packet left.
func TestClientIgnoresEnvironmentProxy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://10.0.0.1:3128")
	t.Setenv("http_proxy", "http://10.0.0.1:3128")
	srv, hits, _ := receiver(t)
	resp, err := guardAllowing(t, "127.0.0.1").Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("status %d, hits %d; want 200 straight from the receiver", resp.StatusCode, hits.Load())
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"":                                 "",
		" 10.0.0.0/8 , 192.168.1.7 ":       "10.0.0.0/8,192.168.1.7/32",
		"10.1.2.3/8":                       "10.0.0.0/8",
		"fd00::/8,::1":                     "fd00::/8,::1/128",
		"127.0.0.1:9000,[::1]:9000":        "127.0.0.1:9000,[::1]:9000",
		"Receiver.Internal.:8443":          "receiver.internal:8443",
		"localhost:8080,10.0.0.0/8":        "10.0.0.0/8,localhost:8080",
		"::ffff:10.0.0.1":                  "10.0.0.1/32",
		"example.com:443, ,":               "example.com:443",
		"100.64.0.0/10,169.254.169.254/32": "100.64.0.0/10,169.254.169.254/32",
	}
	for in, want := range good {
		a, err := outbound.ParseAllow(in)
		if err != nil {
			t.Errorf("ParseAllow(%q): %v", in, err)
			continue
		}
		if a.String() != want {
			t.Errorf("ParseAllow(%q) = %q; want %q", in, a.String(), want)
		}
		if a.IsZero() != (want == "") {
			t.Errorf("ParseAllow(%q).IsZero() = %v", in, a.IsZero())
		}
	}
	bad := map[string]string{
		"10.0.0.0/33":             "not a CIDR",
		"receiver":                "neither a CIDR",
		"receiver:http":           `the port "http" is not a number`,
		"receiver:0":              `the port "0"`,
		"receiver:70000":          `the port "70000"`,
		"http://receiver:80/hook": "a URL is not an endpoint",
		"bad_host!:80":            "is not a host name",
		"10.0.0.0/8,nope":         `"nope"`,
		"fe80::1%eth0":            "zone",
	}
	for in, want := range bad {
		_, err := outbound.ParseAllow(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "host:port such as") {
			t.Errorf("ParseAllow(%q) = %v; want an error with %q and the accepted forms", in, err, want)
		}
	}
}
