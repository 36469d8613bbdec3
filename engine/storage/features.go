package storage

// Features says what a backend is, beyond the Storage contract, where the
// engine must use it differently. The zero value is a backend private to
// one process (SQLite, the in-memory store).
type Features struct {
	// SharedByNodes: several engine processes (nodes) claim from this
	// backend at once (the JetStream cluster), so a limit a node keeps in
	// its own memory bounds only that node. The engine then passes each
	// app's concurrency limit as DeliveryClaimParams.AppLimit, and does
	// not claim deliveries as it creates them, so every claim goes
	// through the backend's count. False keeps the single-node hot path:
	// claims at insert and no count in storage.
	SharedByNodes bool
}

// Featured is implemented by a backend that says what its Features are;
// it is a separate interface so a wrapper or an older backend without it
// is taken as the zero Features (private to one process).
type Featured interface {
	// Features returns the backend's features; they never change while
	// it is open.
	Features() Features
}

// FeaturesOf returns st's Features, the zero value when st does not say.
func FeaturesOf(st Storage) Features {
	if f, ok := st.(Featured); ok {
		return f.Features()
	}
	return Features{}
}
