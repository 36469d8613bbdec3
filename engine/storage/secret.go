package storage

import "time"

// AppSecret is an app's webhook signing secret ("whsec_" and base64),
// stored in the clear because signing needs it. Previous is the secret a
// rotation replaced: it keeps signing beside Current until
// PreviousValidUntil, so a receiver has a grace period to switch.
type AppSecret struct {
	AppID              int64
	Current            string
	Previous           string
	PreviousValidUntil time.Time
	RotatedAt          time.Time
}

// SecretRotateParams makes Secret an app's current signing secret.
type SecretRotateParams struct {
	AppID  int64
	Secret string
	Now    time.Time
	// PreviousValidUntil is when the secret being replaced, if any, stops
	// signing. A secret replaced while an older one was still in its
	// grace ends that older one's grace at once: at most two sign.
	PreviousValidUntil time.Time
}
