package outbound

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Allow is what the guard lets through despite its rules: whole ranges
// (CIDRs), one address on one port (IP:port), or one host name on one
// port (name:port, whatever it resolves to). The zero value allows
// nothing.
type Allow struct {
	prefixes  []netip.Prefix
	addrPorts []netip.AddrPort
	hostPorts []string // lower-case "name:port", no trailing dot
}

// ParseAllow reads a comma-separated list of CIDRs ("10.0.0.0/8",
// "fd00::/8"), single addresses (taken as /32 or /128), IP:port pairs
// ("127.0.0.1:9000", "[::1]:9000") and host:port pairs
// ("receiver.internal:8443"), as --allow-endpoints takes it. Spaces
// around entries are ignored and an empty list allows nothing. A bad entry
// is an error naming it and the forms that are accepted.
func ParseAllow(list string) (Allow, error) {
	var a Allow
	for _, raw := range strings.Split(list, ",") {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		if err := a.add(e); err != nil {
			return Allow{}, fmt.Errorf("allowed endpoint %q: %w; give a CIDR such as 10.0.0.0/8, an address such as 192.168.1.20, or host:port such as 127.0.0.1:9000 or receiver.internal:8443, separated by commas", e, err)
		}
	}
	return a, nil
}

func (a *Allow) add(e string) error {
	if strings.Contains(e, "/") {
		if strings.Contains(e, "://") {
			return fmt.Errorf("a URL is not an endpoint")
		}
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("not a CIDR (%v)", err)
		}
		a.prefixes = append(a.prefixes, p.Masked())
		return nil
	}
	if ip, err := netip.ParseAddr(e); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("an address with a zone cannot be allowed")
		}
		ip = ip.Unmap()
		a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
		return nil
	}
	host, port, err := net.SplitHostPort(e)
	if err != nil {
		return fmt.Errorf("neither a CIDR, an address nor host:port")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("the port %q is not a number from 1 to 65535", port)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("an address with a zone cannot be allowed")
		}
		a.addrPorts = append(a.addrPorts, netip.AddrPortFrom(ip.Unmap(), uint16(n)))
		return nil
	}
	name := normalHost(host)
	if !validHostName(name) {
		return fmt.Errorf("%q is not a host name", host)
	}
	a.hostPorts = append(a.hostPorts, net.JoinHostPort(name, strconv.Itoa(int(n))))
	return nil
}

// IsZero reports whether the list allows nothing.
func (a Allow) IsZero() bool {
	return len(a.prefixes) == 0 && len(a.addrPorts) == 0 && len(a.hostPorts) == 0
}

// String lists the entries as ParseAllow reads them.
func (a Allow) String() string {
	var out []string
	for _, p := range a.prefixes {
		out = append(out, p.String())
	}
	for _, ap := range a.addrPorts {
		out = append(out, ap.String())
	}
	out = append(out, a.hostPorts...)
	return strings.Join(out, ",")
}

// name reports whether host:port is allowed by name.
func (a Allow) name(host string, port uint16) bool {
	key := net.JoinHostPort(normalHost(host), strconv.Itoa(int(port)))
	for _, hp := range a.hostPorts {
		if hp == key {
			return true
		}
	}
	return false
}

// addr reports whether ip on port is allowed, by a range or an IP:port.
func (a Allow) addr(ip netip.Addr, port uint16) bool {
	ip = ip.WithZone("").Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	for _, ap := range a.addrPorts {
		if ap.Addr() == ip && ap.Port() == port {
			return true
		}
	}
	return false
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// validHostName accepts letters, digits, hyphens, underscores and dots,
// in labels of 1 to 63 characters.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
