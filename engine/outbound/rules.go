package outbound

import (
	"net/netip"
)

// Rule names a class of addresses the guard refuses unless allowed.
type Rule string

// The classes the guard refuses. The metadata rule is checked first, so a
// cloud metadata address is named as such rather than as link-local or
// private.
const (
	RuleMetadata    Rule = "cloud metadata"
	RuleLoopback    Rule = "loopback"
	RulePrivate     Rule = "private"
	RuleLinkLocal   Rule = "link-local"
	RuleMulticast   Rule = "multicast"
	RuleUnspecified Rule = "unspecified"
	RuleCGNAT       Rule = "shared address space (CGNAT)"
	RuleReserved    Rule = "reserved"
)

// class is one refused range with the rule that names it.
type class struct {
	rule   Rule
	prefix netip.Prefix
	// why says what the range is, for the refusal's message.
	why string
}

// classes are the refused ranges, metadata first. IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d) are unmapped before they are checked, and
// NAT64 addresses (64:ff9b::a.b.c.d, RFC 6052) are checked as the IPv4
// address they carry, so neither form smuggles a refused address past.
var classes = []class{
	{RuleMetadata, netip.MustParsePrefix("169.254.169.254/32"), "the instance metadata service of AWS, GCP, Azure and others"},
	{RuleMetadata, netip.MustParsePrefix("fd00:ec2::254/128"), "the IPv6 instance metadata service of AWS"},
	{RuleMetadata, netip.MustParsePrefix("100.100.100.200/32"), "the instance metadata service of Alibaba Cloud"},
	{RuleUnspecified, netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (RFC 1122), which reaches the local host"},
	{RuleUnspecified, netip.MustParsePrefix("::/128"), "the unspecified IPv6 address, which reaches the local host"},
	{RuleLoopback, netip.MustParsePrefix("127.0.0.0/8"), "the local host"},
	{RuleLoopback, netip.MustParsePrefix("::1/128"), "the local host"},
	{RulePrivate, netip.MustParsePrefix("10.0.0.0/8"), "a private network (RFC 1918)"},
	{RulePrivate, netip.MustParsePrefix("172.16.0.0/12"), "a private network (RFC 1918)"},
	{RulePrivate, netip.MustParsePrefix("192.168.0.0/16"), "a private network (RFC 1918)"},
	{RulePrivate, netip.MustParsePrefix("fc00::/7"), "a unique local IPv6 network (RFC 4193)"},
	{RuleLinkLocal, netip.MustParsePrefix("169.254.0.0/16"), "a link-local network"},
	{RuleLinkLocal, netip.MustParsePrefix("fe80::/10"), "a link-local IPv6 network"},
	{RuleMulticast, netip.MustParsePrefix("224.0.0.0/4"), "a multicast group"},
	{RuleMulticast, netip.MustParsePrefix("ff00::/8"), "an IPv6 multicast group"},
	{RuleCGNAT, netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT network (RFC 6598), often a provider's internal one"},
	{RuleReserved, netip.MustParsePrefix("240.0.0.0/4"), "a reserved range (and the broadcast address)"},
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses reach
// the IPv4 address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// classify returns the refused class a holds, if any, and the address it
// was checked as (unmapped, or the IPv4 address inside a NAT64 one).
func classify(a netip.Addr) (class, netip.Addr, bool) {
	a = a.WithZone("").Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, c := range classes {
		if c.prefix.Contains(a) {
			return c, a, true
		}
	}
	return class{}, a, false
}
