package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/eventloom/eventloom/engine/design"
)

// FuzzCloudEventTrigger feeds arbitrary bodies through the CloudEvents
// path of the trigger route as structured and as binary events: reading
// (the SDK) and checking (eventRequest) never panic, and whatever is
// accepted carries a JSON object of parameters and a valid traceparent or
// none.
//
//	go test -run '^$' -fuzz FuzzCloudEventTrigger -fuzztime 60s ./web/
func FuzzCloudEventTrigger(f *testing.F) {
	for _, s := range []string{
		`{"specversion":"1.0","id":"1","source":"/shop","type":"Shop.OrderPlaced","data":{"Sku":"A"}}`,
		`{"specversion":"1.0","id":"1","source":"/shop","type":"Shop.OrderPlaced","datacontenttype":"text/plain","data":"x"}`,
		`{"specversion":"1.0","id":"1","source":"/shop","type":"Shop.OrderPlaced","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":[1]}`,
		`{"specversion":"0.3","id":"","type":"x"}`, `{"Sku":"A"}`, ``, `null`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	ref := design.EventRef{App: "Shop", Event: "OrderPlaced"}
	f.Fuzz(func(t *testing.T, body string, structured bool) {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		if structured {
			r.Header.Set("Content-Type", "application/cloudevents+json")
		} else {
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("ce-specversion", "1.0")
			r.Header.Set("ce-id", "1")
			r.Header.Set("ce-source", "/shop")
			r.Header.Set("ce-type", "Shop.OrderPlaced")
		}
		ev, err := cehttp.NewEventFromHTTPRequest(r)
		if err != nil {
			return
		}
		req, err := eventRequest("", ref, ev, "")
		if err != nil {
			return
		}
		var params map[string]any
		if json.Unmarshal(req.JSON, &params) != nil || params == nil {
			t.Fatalf("accepted parameters that are not a JSON object: %q", req.JSON)
		}
		if req.Event != ref {
			t.Fatalf("accepted a trigger of %v on the route of %v", req.Event, ref)
		}
	})
}
