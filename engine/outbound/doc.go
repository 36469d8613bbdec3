// Package outbound guards the engine's calls to other services (webhook
// deliveries and flow HTTP steps): a Guard gives an *http.Client whose
// every connection goes to an address that passed the guard's rules,
// checked on the resolved address at connect time, so a DNS name that
// resolves inward is refused like the address itself (DESIGN.md: no
// loopback, private, link-local or metadata address unless configured).
//
// outbound sits inside engine and imports only the standard library; it
// must never import the rest of the project, web, store or a driver.
package outbound
