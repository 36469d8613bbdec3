package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// designVersions: each applied change stores its version in the same
// step, numbered from 1; a refused change stores none; lists page newest
// first without documents; a version reads back with its document.
func (s *suite) designVersions(t *testing.T) {
	fx := s.fixture(t)
	st := fx.st
	apply := func(name string, at time.Time) error {
		_, err := st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: at,
			Ops: []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: name}}},
			Version: &storage.DesignVersion{At: at, Actor: "ana", Summary: "create app " + name,
				Document: json.RawMessage(`{"apps":[{"name":"` + name + `"}]}`)}})
		return err
	}
	before, err := st.DesignVersionList(ctx(t), &storage.DesignVersionListParams{})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Billing", "Ledger", "Audit"} {
		if err := apply(name, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("apply %s: %v", name, err)
		}
	}
	wantKind(t, apply("Billing", t0.Add(time.Hour)), fault.ErrConflict, "creating Billing twice")
	all, err := st.DesignVersionList(ctx(t), &storage.DesignVersionListParams{})
	if err != nil || len(all) != len(before)+3 {
		t.Fatalf("versions = %+v, %v; want %d (the refused change stores none)", all, err, len(before)+3)
	}
	newest := all[0]
	if newest.Summary != "create app Audit" || newest.Actor != "ana" || !newest.At.Equal(t0.Add(2*time.Minute)) || newest.Document != nil {
		t.Fatalf("newest listed = %+v", newest)
	}
	if all[1].Version != newest.Version-1 || all[2].Version != newest.Version-2 {
		t.Fatalf("versions are not numbered one after another: %+v", all)
	}
	page, err := st.DesignVersionList(ctx(t), &storage.DesignVersionListParams{Before: newest.Version, Limit: 1})
	if err != nil || len(page) != 1 || page[0].Summary != "create app Ledger" {
		t.Fatalf("the page before the newest = %+v, %v", page, err)
	}
	got, err := st.DesignVersionGet(ctx(t), all[2].Version)
	if err != nil || got.Summary != "create app Billing" || !sameJSON(got.Document, []byte(`{"apps":[{"name":"Billing"}]}`)) {
		t.Fatalf("version %d = %+v, %v", all[2].Version, got, err)
	}
	_, err = st.DesignVersionGet(ctx(t), newest.Version+1)
	wantKind(t, err, fault.ErrNotFound, "a version not yet written")
}
