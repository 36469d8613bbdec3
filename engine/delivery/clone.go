package delivery

import "maps"

// Clone returns a copy of r that shares nothing with it, so a backend
// holding attempts in memory hands out copies a caller may change.
func (r *Response) Clone() *Response {
	if r == nil {
		return nil
	}
	c := *r
	c.Headers = maps.Clone(r.Headers)
	return &c
}
