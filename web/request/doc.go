// Package request reads what both faces of the server take from a
// request: path and query parameters (ids, event references, list
// filters, payload conditions), bounded JSON bodies, and who the caller
// is (the identity the roles check settled and the audit log names).
//
// It is shared by web/api and web/console so each reads a request the
// same way and refuses a bad one with the same message. It holds no
// state; it imports neither web, web/api, web/console nor templates.
package request
