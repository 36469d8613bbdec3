package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// audit pins the audit log: entries come back newest first with every
// field as written, each filter narrows, pages follow the cursor without
// overlap, and a durable backend keeps them across a reopen.
func (s *suite) audit(t *testing.T) {
	fx := s.fixture(t)
	st := fx.st
	put := []storage.AuditEntry{
		{Actor: "admin token", Action: "app.create", Target: "Storefront", At: t0, From: "127.0.0.1", Detail: json.RawMessage(`{"changes":1}`)},
		{Actor: "ana", Action: "delivery.replay", Target: "delivery 7", At: t0.Add(time.Minute), From: "10.0.0.2", Detail: json.RawMessage(`{"status":"pending"}`)},
		{Actor: "ana", Action: "app.create", Target: "Billing", At: t0.Add(2 * time.Minute), From: "10.0.0.2", Detail: json.RawMessage(`{}`)},
	}
	var last int64
	for i := range put {
		id, err := st.AuditInsert(ctx(t), &put[i])
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if id <= last {
			t.Fatalf("insert %d: id %d is not above the previous %d", i, id, last)
		}
		last = id
	}
	if s.f.Durable {
		fx.reopen(t)
		st = fx.st
	}
	list := func(p storage.AuditListParams) []string {
		t.Helper()
		got, err := st.AuditList(ctx(t), &p)
		if err != nil {
			t.Fatalf("list %+v: %v", p, err)
		}
		var out []string
		for _, e := range got {
			out = append(out, e.Target)
		}
		return out
	}
	all, err := st.AuditList(ctx(t), &storage.AuditListParams{})
	if err != nil || len(all) != 3 {
		t.Fatalf("list all = %d entries, %v; want 3", len(all), err)
	}
	first := all[2]
	if first.Actor != "admin token" || first.Action != "app.create" || first.Target != "Storefront" || !first.At.Equal(t0) || first.From != "127.0.0.1" || string(first.Detail) != `{"changes":1}` {
		t.Fatalf("oldest entry read back as %+v; want it as written", first)
	}
	for _, c := range []struct {
		name string
		p    storage.AuditListParams
		want []string
	}{
		{"all, newest first", storage.AuditListParams{}, []string{"Billing", "delivery 7", "Storefront"}},
		{"actor", storage.AuditListParams{Actor: "ana"}, []string{"Billing", "delivery 7"}},
		{"action", storage.AuditListParams{Action: "app.create"}, []string{"Billing", "Storefront"}},
		{"target", storage.AuditListParams{Target: "delivery 7"}, []string{"delivery 7"}},
		{"since inclusive", storage.AuditListParams{Since: t0.Add(time.Minute)}, []string{"Billing", "delivery 7"}},
		{"until exclusive", storage.AuditListParams{Until: t0.Add(time.Minute)}, []string{"Storefront"}},
		{"until past 2262", storage.AuditListParams{Until: farFuture}, []string{"Billing", "delivery 7", "Storefront"}},
		{"since past 2262", storage.AuditListParams{Since: farFuture}, nil},
		{"since before 1678", storage.AuditListParams{Since: farPast}, []string{"Billing", "delivery 7", "Storefront"}},
		{"page one", storage.AuditListParams{Limit: 2}, []string{"Billing", "delivery 7"}},
		{"page two", storage.AuditListParams{Limit: 2, BeforeID: all[1].ID}, []string{"Storefront"}},
		{"no match", storage.AuditListParams{Actor: "nobody"}, nil},
	} {
		got := list(c.p)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

// auditWithDesign pins that a design change and its audit entry are one
// transaction: an applied change stores its entry, a refused one stores
// neither.
func (s *suite) auditWithDesign(t *testing.T) {
	fx := s.fixture(t)
	st := fx.st
	entry := func(target string) *storage.AuditEntry {
		return &storage.AuditEntry{Actor: "admin token", Action: "app.create", Target: target, At: t0, From: "127.0.0.1", Detail: json.RawMessage(`{}`)}
	}
	op := func(name string) []storage.DesignOp {
		return []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: name}}}
	}
	if _, err := st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: t0, Ops: op("Billing"), Audit: entry("Billing")}); err != nil {
		t.Fatalf("apply with an entry: %v", err)
	}
	_, err := st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: t0, Ops: op("Billing"), Audit: entry("Billing again")})
	wantKind(t, err, fault.ErrConflict, "creating Billing twice")
	got, err := st.AuditList(ctx(t), &storage.AuditListParams{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(got) != 1 || got[0].Target != "Billing" {
		t.Fatalf("audit after one applied and one refused change = %+v; want the applied one's entry only", got)
	}
}
