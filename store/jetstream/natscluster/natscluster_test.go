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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
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
	if _, err := js.Publish(ctx, "t", []byte("two")); err != nil {
		t.Fatalf("publish with one server of three stopped: %v", err)
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
