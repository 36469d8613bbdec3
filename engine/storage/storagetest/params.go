package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// payloadOrders are OrderPlaced parameters for the payload search tests:
// numbers whole and fractional, a boolean, text that looks like a number
// and canonical DateTimes with and without a fraction.
var payloadOrders = []string{
	`{"Sku":"A-1","Qty":2,"Express":true}`,
	`{"Sku":"B-2","Qty":10,"Express":false}`,
	`{"Sku":"C-3","Qty":99.5}`,
	`{"Sku":"10","Qty":100}`,
	`{"Sku":"2026-01-01T10:00:00Z","Qty":null}`,
	`{"Sku":"2026-01-01T10:00:00.5Z"}`,
}

// payloadSearch: OccurrenceList's and DeliveryList's payload conditions,
// exact and ranged, alone and combined with the other filters, and
// DeliveryCount agreeing with the list.
func (s *suite) payloadSearch(t *testing.T) {
	fx := s.fixture(t)
	var o []int64
	var toStock []int64
	for i, p := range payloadOrders {
		ins := fx.order(t0.Add(time.Duration(i)*time.Minute), bigCap, fx.toStock(false), fx.toMail(false))
		ins.Parameters = json.RawMessage(p)
		r := fx.insert(t, ins)
		o = append(o, r.OccurrenceID)
		toStock = append(toStock, r.Deliveries[0].DeliveryID)
	}
	// r1 is a Reserved with Sku A-1, like o[0]: a condition without
	// events matches both, one restricted to OrderPlaced only o[0].
	r1 := fx.insert(t, &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID,
		Parameters: json.RawMessage(`{"Sku":"A-1"}`), CreatedAt: t0.Add(time.Hour), QueueCap: bigCap}).OccurrenceID
	key := func(v any) any {
		k, ok := storage.ParamKey(v)
		if !ok {
			t.Fatalf("no key for %v", v)
		}
		return k
	}
	eq := func(name string, v any, events ...int64) storage.ParamCond {
		return storage.ParamCond{Name: name, Op: storage.ParamEq, Value: key(v), EventIDs: events}
	}
	ge := func(name string, v any) storage.ParamCond {
		return storage.ParamCond{Name: name, Op: storage.ParamGE, Value: key(v)}
	}
	le := func(name string, v any) storage.ParamCond {
		return storage.ParamCond{Name: name, Op: storage.ParamLE, Value: key(v)}
	}
	placed, reserved := fx.placed.ID, fx.reserved.ID
	cases := []struct {
		name  string
		event int64
		conds []storage.ParamCond
		want  []int64
	}{
		{"text, every event", 0, []storage.ParamCond{eq("Sku", "A-1")}, []int64{r1, o[0]}},
		{"text, restricted to an event", 0, []storage.ParamCond{eq("Sku", "A-1", placed)}, []int64{o[0]}},
		{"text, the list's event", reserved, []storage.ParamCond{eq("Sku", "A-1")}, []int64{r1}},
		{"events that share none", 0, []storage.ParamCond{eq("Sku", "A-1", placed), eq("Sku", "A-1", reserved)}, nil},
		{"text that looks like a number is text", 0, []storage.ParamCond{eq("Sku", "10")}, []int64{o[3]}},
		{"a number is not text", 0, []storage.ParamCond{eq("Sku", int64(10))}, nil},
		{"whole number", 0, []storage.ParamCond{eq("Qty", int64(2))}, []int64{o[0]}},
		{"whole number as a float", 0, []storage.ParamCond{eq("Qty", 2.0)}, []int64{o[0]}},
		{"fraction", 0, []storage.ParamCond{eq("Qty", json.Number("99.5"))}, []int64{o[2]}},
		{"at least", 0, []storage.ParamCond{ge("Qty", int64(10))}, []int64{o[3], o[2], o[1]}},
		{"at most", 0, []storage.ParamCond{le("Qty", 10.0)}, []int64{o[1], o[0]}},
		{"between", 0, []storage.ParamCond{ge("Qty", int64(10)), le("Qty", int64(99))}, []int64{o[1]}},
		{"boolean", 0, []storage.ParamCond{eq("Express", true)}, []int64{o[0]}},
		{"boolean false", 0, []storage.ParamCond{eq("Express", false)}, []int64{o[1]}},
		{"null is absent", 0, []storage.ParamCond{le("Qty", int64(1000)), ge("Qty", int64(-1000))}, []int64{o[3], o[2], o[1], o[0]}},
		{"date-time from, in time order", 0, []storage.ParamCond{ge("Sku", "2026-01-01T10:00:00.1Z"), le("Sku", "2026-12-31T00:00:00Z")}, []int64{o[5]}},
		{"date-time until", 0, []storage.ParamCond{ge("Sku", "2026-01-01T09:00:00Z"), le("Sku", "2026-01-01T10:00:00Z")}, []int64{o[4]}},
		{"date-time exact, written without fraction", 0, []storage.ParamCond{eq("Sku", "2026-01-01T10:00:00.000Z")}, []int64{o[4]}},
		{"a text range holds no number", 0, []storage.ParamCond{ge("Qty", "")}, nil},
		{"a number range holds no text", 0, []storage.ParamCond{le("Sku", int64(1<<40))}, nil},
		{"two parameters", 0, []storage.ParamCond{eq("Sku", "B-2"), ge("Qty", int64(5))}, []int64{o[1]}},
		{"two parameters, one fails", 0, []storage.ParamCond{eq("Sku", "B-2"), ge("Qty", int64(50))}, nil},
		{"unknown parameter", 0, []storage.ParamCond{eq("Colour", "red")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fx.list(t, storage.OccurrenceListParams{EventID: c.event, Params: c.conds})
			if ids := occIDs(got); !sameIDs(ids, c.want) {
				t.Fatalf("OccurrenceList(%+v) = %v, want %v", c.conds, ids, c.want)
			}
		})
	}
	t.Run("with other filters and paging", func(t *testing.T) {
		p := storage.OccurrenceListParams{EventID: placed, Since: t0.Add(time.Minute), Params: []storage.ParamCond{ge("Qty", int64(0))}, Limit: 2}
		if ids := occIDs(fx.list(t, p)); !sameIDs(ids, []int64{o[3], o[2]}) {
			t.Fatalf("first page = %v, want %v", ids, []int64{o[3], o[2]})
		}
		p.BeforeID = o[2]
		if ids := occIDs(fx.list(t, p)); !sameIDs(ids, []int64{o[1]}) {
			t.Fatalf("second page = %v, want %v", ids, []int64{o[1]})
		}
	})
	t.Run("deliveries", func(t *testing.T) {
		p := storage.DeliveryListParams{SubscriptionID: fx.stockSub.ID, Params: []storage.ParamCond{ge("Qty", int64(10))}}
		got, err := fx.st.DeliveryList(ctx(t), &p)
		if err != nil {
			t.Fatalf("delivery list: %v", err)
		}
		want := []int64{toStock[3], toStock[2], toStock[1]}
		if ids := delIDs(got); !sameIDs(ids, want) {
			t.Fatalf("DeliveryList(%+v) = %v, want %v", p, ids, want)
		}
		n, err := fx.st.DeliveryCount(ctx(t), &p)
		if err != nil || n != 3 {
			t.Fatalf("DeliveryCount(%+v) = %d, %v; want 3", p, n, err)
		}
		p.BeforeID = toStock[2]
		if n, err := fx.st.DeliveryCount(ctx(t), &p); err != nil || n != 1 {
			t.Fatalf("DeliveryCount before %d = %d, %v; want 1", toStock[2], n, err)
		}
		all, err := fx.st.DeliveryCount(ctx(t), &storage.DeliveryListParams{Status: delivery.Pending})
		if err != nil || all != 2*len(payloadOrders) {
			t.Fatalf("DeliveryCount(pending) = %d, %v; want %d", all, err, 2*len(payloadOrders))
		}
	})
	t.Run("deliveries of a trace", func(t *testing.T) {
		p := storage.DeliveryListParams{TraceID: o[1]}
		got, err := fx.st.DeliveryList(ctx(t), &p)
		if err != nil {
			t.Fatalf("delivery list: %v", err)
		}
		if len(got) != 2 || got[0].OccurrenceID != o[1] || got[1].OccurrenceID != o[1] {
			t.Fatalf("deliveries of trace %d = %+v, want its occurrence's two", o[1], got)
		}
		if n, err := fx.st.DeliveryCount(ctx(t), &p); err != nil || n != 2 {
			t.Fatalf("DeliveryCount(trace) = %d, %v; want 2", n, err)
		}
	})
	t.Run("a malformed condition is refused", func(t *testing.T) {
		bad := storage.OccurrenceListParams{Params: []storage.ParamCond{{Name: "Qty", Op: "like", Value: int64(1)}}}
		if _, err := fx.st.OccurrenceList(ctx(t), &bad); err == nil {
			t.Fatal("an unknown op was accepted")
		}
	})
}
