package natscluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

// TestClusterReplicatesAndSurvivesAServer: a three-server cluster takes an
// R3 stream, and with one server stopped a publish is still acknowledged
// and the stream still reads back everything.
func TestClusterReplicatesAndSurvivesAServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := natscluster.Start(ctx, natscluster.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t"}, Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t", []byte("one")); err != nil {
		t.Fatal(err)
	}
	c.Stop(2)
	// The stream may have lost its leader with the server: a publish
	// waits for the new one (a request without an answer times out, and
	// the same message id makes a second try safe).
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := js.Publish(actx, "t", []byte("two"), jetstream.WithMsgID("two"))
		acancel()
		if err == nil {
			break
		}
		if attempt == 10 {
			t.Fatalf("publish with one server of three stopped, %d tries: %v", attempt, err)
		}
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 || info.Config.Replicas != 3 {
		t.Fatalf("stream has %d messages at R%d; want 2 at R3", info.State.Msgs, info.Config.Replicas)
	}
	if err := c.Restart(2); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}
