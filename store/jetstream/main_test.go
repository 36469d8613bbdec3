package jetstream_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

// cluster is the three-server NATS cluster every test of the package
// shares (each on streams of its own): starting one takes seconds.
var cluster *natscluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "eventloom-nats-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, err = natscluster.Start(ctx, natscluster.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cluster.Shutdown()
	return m.Run()
}
