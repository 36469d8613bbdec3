package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store/mem"
)

// Config says where the cluster is and which stream holds the log.
type Config struct {
	// URL is one or more server URLs, comma separated
	// ("nats://127.0.0.1:4222,nats://127.0.0.1:4223"); ignored when Conn
	// is set.
	URL string
	// Conn, when set, is used instead of connecting to URL; Close leaves
	// it open (its owner closes it).
	Conn *nats.Conn
	// Stream names the stream that holds the log (default "EVENTLOOM").
	// Every node of one Eventloom cluster names the same stream; two
	// clusters on one NATS cluster name different ones.
	Stream string
	// Replicas is the stream's replication factor (default 3: a quorum
	// survives one server of three). It applies when the stream is
	// created; an existing stream keeps its own.
	Replicas int
	// DuplicateWindow is how long the stream remembers message ids to
	// drop a republished command (default 10 minutes, longer than any
	// lease, so a completion republished after a lost acknowledgement is
	// still recognised).
	DuplicateWindow time.Duration
	// Logger receives the backend's warnings (default slog.Default()).
	Logger *slog.Logger
}

// Store is the JetStream backend. Its methods are safe for concurrent
// use; Close ends it.
type Store struct {
	cfg     Config
	nc      *nats.Conn
	ownConn bool
	js      jetstream.JetStream
	stream  jetstream.Stream
	subject string
	model   *mem.Store
	cc      jetstream.ConsumeContext
	log     *slog.Logger
	// node prefixes this process's command ids; seq numbers them.
	node string
	seq  atomic.Uint64

	mu sync.Mutex
	// applied is the stream sequence of the last command applied to model;
	// progress is closed (and replaced) whenever applied grows.
	applied  uint64
	progress chan struct{}
	// waiters are the writes of this process waiting for their command to
	// be applied, by command id.
	waiters map[string]chan result
	// watchers receive what other nodes (and this one) changed.
	watchers map[int]storage.WatchFuncs
	nextW    int
	// full holds the apps a claim under an app-wide limit found full
	// (applimit.go).
	full fullApps
	// bmu guards next, the read-barrier round taking newcomers; inflight
	// holds a place while a round's request is out (barrier.go).
	bmu      sync.Mutex
	next     *round
	inflight chan struct{}
	closed   chan struct{}
	once     sync.Once
}

// result is what applying one command returned.
type result struct {
	v   any
	err error
}

var (
	_ storage.Storage  = (*Store)(nil)
	_ storage.Watcher  = (*Store)(nil)
	_ storage.Featured = (*Store)(nil)
)

// errClosed is returned by every method called after Close.
var errClosed = errors.New("the JetStream store is closed; open a new one with jetstream.Open")

// Open connects (unless cfg.Conn is set), creates the stream when it does
// not exist, and replays it into a fresh read model before it returns, so
// a node that (re)starts has caught up on the design and the history.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Stream == "" {
		cfg.Stream = "EVENTLOOM"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{cfg: cfg, nc: cfg.Conn, log: cfg.Logger, model: mem.New(), node: nuid.Next(),
		subject: "eventloom." + cfg.Stream + ".log", progress: make(chan struct{}),
		waiters: map[string]chan result{}, watchers: map[int]storage.WatchFuncs{}, closed: make(chan struct{}),
		inflight: make(chan struct{}, 1)}
	if s.nc == nil {
		if strings.TrimSpace(cfg.URL) == "" {
			return nil, errors.New("open JetStream store: no server URL; pass --nats nats://HOST:PORT[,nats://HOST:PORT...] or set EVENTLOOM_NATS_URL")
		}
		nc, err := nats.Connect(cfg.URL, nats.Name("eventloom"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false))
		if err != nil {
			return nil, fmt.Errorf("open JetStream store: connect to %s: %w (is the NATS server running, with JetStream enabled?)", cfg.URL, err)
		}
		s.nc, s.ownConn = nc, true
	}
	if err := s.open(ctx); err != nil {
		s.closeConn()
		return nil, fmt.Errorf("open JetStream store on stream %s: %w", cfg.Stream, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return err
	}
	s.js = js
	st, err := s.createStream(ctx)
	if err != nil {
		return fmt.Errorf("create or find the stream: %w", err)
	}
	s.stream = st
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	if len(info.Config.Subjects) != 1 || info.Config.Subjects[0] != s.subject {
		return fmt.Errorf("stream %s exists with subjects %v, not %s: it is not an Eventloom log; name another with --nats-stream",
			s.cfg.Stream, info.Config.Subjects, s.subject)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.subject}})
	if err != nil {
		return fmt.Errorf("ordered consumer: %w", err)
	}
	s.cc, err = cons.Consume(s.onMsg)
	if err != nil {
		return fmt.Errorf("consume the log: %w", err)
	}
	if err := s.waitApplied(ctx, info.State.LastSeq); err != nil {
		s.cc.Stop()
		return fmt.Errorf("replay the log to sequence %d: %w", info.State.LastSeq, err)
	}
	return nil
}

// onMsg applies one command of the log, in stream order.
func (s *Store) onMsg(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		s.log.Error("jetstream log message without metadata", "err", err)
		return
	}
	seq := meta.Sequence.Stream
	s.mu.Lock()
	if seq <= s.applied {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	var c command
	var r result
	if err := decodeInto(msg.Data(), &c); err != nil {
		r.err = fmt.Errorf("command at sequence %d: %w", seq, err)
		s.log.Error("jetstream log: undecodable command skipped", "seq", seq, "err", err)
	} else {
		r.v, r.err = apply(s.model, &c)
	}
	s.mu.Lock()
	s.applied = seq
	close(s.progress)
	s.progress = make(chan struct{})
	w := s.waiters[c.ID]
	delete(s.waiters, c.ID)
	watchers := make([]storage.WatchFuncs, 0, len(s.watchers))
	for _, f := range s.watchers {
		watchers = append(watchers, f)
	}
	s.mu.Unlock()
	if w != nil {
		w <- r
	}
	if r.err == nil && len(watchers) > 0 {
		s.notify(watchers, &c, r.v)
	}
}

// waitApplied returns when the model has applied the log up to seq.
func (s *Store) waitApplied(ctx context.Context, seq uint64) error {
	for {
		s.mu.Lock()
		done, ch := s.applied >= seq, s.progress
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for the log to reach sequence %d: %w", seq, ctx.Err())
		case <-s.closed:
			return errClosed
		}
	}
}

// write publishes one command and returns the result of applying it.
// msgID, when not empty, is the command's id (and its Nats-Msg-Id): a
// command with an identity of its own (a completion: delivery and claim
// token) is then stored once however often it is published within the
// duplicate window. Otherwise the id is fresh from this process.
func (s *Store) write(ctx context.Context, op, msgID string, a any) (any, error) {
	select {
	case <-s.closed:
		return nil, errClosed
	default:
	}
	b, err := encode(a)
	if err != nil {
		return nil, err
	}
	id := msgID
	if id == "" {
		id = s.node + "." + strconv.FormatUint(s.seq.Add(1), 10)
	}
	data, err := encode(command{ID: id, Op: op, Args: b})
	if err != nil {
		return nil, err
	}
	ch := make(chan result, 1)
	s.mu.Lock()
	if s.waiters[id] != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%s: command %s is being written already", op, id)
	}
	s.waiters[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.waiters[id] == ch {
			delete(s.waiters, id)
		}
		s.mu.Unlock()
	}()
	ack, err := s.publish(ctx, id, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	select {
	case r := <-ch:
		return r.v, r.err
	default:
	}
	if ack.Duplicate {
		// Stored by an earlier publish whose caller is gone: its result
		// went to nobody. Once applied, its effect is visible to reads.
		if err := s.waitApplied(ctx, ack.Sequence); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		select {
		case r := <-ch:
			return r.v, r.err
		default:
			return nil, errDuplicate{op: op, id: id}
		}
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: stored at sequence %d, not yet applied here: %w", op, ack.Sequence, ctx.Err())
	case <-s.closed:
		return nil, errClosed
	}
}

// errDuplicate says a command with this id was stored before, by a call
// that no longer waits for it.
type errDuplicate struct{ op, id string }

func (e errDuplicate) Error() string {
	return fmt.Sprintf("%s: command %s was stored already by an earlier call; read the state to see its effect", e.op, e.id)
}

// publish stores data in the log, retrying (with the same message id, so
// the stream keeps one copy) while the cluster elects a new leader.
func (s *Store) publish(ctx context.Context, id string, data []byte) (*jetstream.PubAck, error) {
	msg := &nats.Msg{Subject: s.subject, Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ack, err := s.js.PublishMsg(actx, msg, jetstream.WithExpectStream(s.cfg.Stream),
			jetstream.WithRetryAttempts(20), jetstream.WithRetryWait(50*time.Millisecond))
		cancel()
		if err == nil {
			return ack, nil
		}
		if ctx.Err() != nil || attempt >= 10 || !retryable(err) {
			return nil, fmt.Errorf("publish command %s (attempt %d): %w", id, attempt, err)
		}
	}
}

// retryable reports whether a failed publish may have failed only for a
// leader change or a lost reply, so publishing again is safe and useful.
func retryable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

// fresh waits until the model has applied everything the stream held
// when it was asked, so a read sees every write acknowledged before it,
// by any node.
func (s *Store) fresh(ctx context.Context) error {
	select {
	case <-s.closed:
		return errClosed
	default:
	}
	seq, err := s.lastSeq(ctx)
	if err != nil {
		return fmt.Errorf("read barrier: %w", err)
	}
	return s.waitApplied(ctx, seq)
}

// Close stops applying the log and closes the connection it opened. A
// write in flight gets a closed-store error; what it published stays in
// the log.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.closed)
		if s.cc != nil {
			s.cc.Stop()
		}
		s.closeConn()
		_ = s.model.Close()
	})
	return nil
}

func (s *Store) closeConn() {
	if s.ownConn {
		s.nc.Close()
	}
}
