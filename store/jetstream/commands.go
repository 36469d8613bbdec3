package jetstream

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store/mem"
)

// command is one write as it travels through the stream. ID names it
// (and is its Nats-Msg-Id, so a publish retried after a lost
// acknowledgement is stored once); Args is the gob of the op's params.
type command struct {
	ID   string
	Op   string
	Args []byte
}

// The ops: one per write method of the seam.
const (
	opDesignApply            = "design.apply"
	opKeyInsert              = "key.insert"
	opKeyDelete              = "key.delete"
	opSecretRotate           = "secret.rotate"
	opSettingPut             = "setting.put"
	opSessionPut             = "session.put"
	opSessionDelete          = "session.delete"
	opUserInsert             = "user.insert"
	opUserUpdate             = "user.update"
	opUserDelete             = "user.delete"
	opUserTokenInsert        = "user.token.insert"
	opUserTokenDelete        = "user.token.delete"
	opAuditInsert            = "audit.insert"
	opOccurrenceInsert       = "occurrence.insert"
	opOccurrenceInsertBatch  = "occurrence.insert.batch"
	opDeliveryClaim          = "delivery.claim"
	opDeliveryComplete       = "delivery.complete"
	opDeliveryRelease        = "delivery.release"
	opDeliveryReleaseExpired = "delivery.release.expired"
	opDeliveryRetryNow       = "delivery.retry.now"
	opDeliveryReplay         = "delivery.replay"
	opDeliveryDiscard        = "delivery.discard"
)

// Argument shapes of the methods that take more than one params struct.
// Gob, not JSON, carries them: the seam's types hide ids and hashes from
// JSON (json:"-"), and a command must carry every field.
type (
	keyArgs     struct{ AppID, ID int64 }
	settingArgs struct{ Name, Value string }
	hashArgs    struct{ Hash []byte }
	userArgs    struct {
		Name string
		ID   int64
		Now  time.Time
	}
	deliveryArgs struct {
		ID  int64
		Now time.Time
	}
)

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b.Bytes(), nil
}

func decodeInto(b []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}

// args decodes a command's arguments as A.
func args[A any](c *command) (A, error) {
	var a A
	return a, decodeInto(c.Args, &a)
}

// apply runs one command on the read model and returns what the method
// returns. It must be deterministic: every node applies the same commands
// in the same order and must reach the same state and results, so
// everything a result depends on (times, ids of the caller's choosing)
// comes from the command, and the read model numbers its ids and claim
// tokens from counters, never a clock or a random source.
func apply(m *mem.Store, c *command) (any, error) {
	// A command in the log is applied whatever became of the call that
	// wrote it: the model's calls take no caller's context.
	ctx := context.Background()
	switch c.Op {
	case opDesignApply:
		return with(c, func(p storage.DesignApplyParams) (any, error) { return m.DesignApply(ctx, &p) })
	case opKeyInsert:
		return with(c, func(p storage.KeyInsertParams) (any, error) { return m.KeyInsert(ctx, &p) })
	case opKeyDelete:
		return with(c, func(p keyArgs) (any, error) { return nil, m.KeyDelete(ctx, p.AppID, p.ID) })
	case opSecretRotate:
		return with(c, func(p storage.SecretRotateParams) (any, error) { return m.SecretRotate(ctx, &p) })
	case opSettingPut:
		return with(c, func(p settingArgs) (any, error) { return nil, m.SettingPut(ctx, p.Name, p.Value) })
	case opSessionPut:
		return with(c, func(p storage.SessionPutParams) (any, error) { return nil, m.SessionPut(ctx, &p) })
	case opSessionDelete:
		return with(c, func(p hashArgs) (any, error) { return nil, m.SessionDelete(ctx, p.Hash) })
	case opUserInsert:
		return with(c, func(p storage.User) (any, error) { return m.UserInsert(ctx, &p) })
	case opUserUpdate:
		return with(c, func(p storage.UserUpdateParams) (any, error) { return m.UserUpdate(ctx, &p) })
	case opUserDelete:
		return with(c, func(p userArgs) (any, error) { return nil, m.UserDelete(ctx, p.Name, p.Now) })
	case opUserTokenInsert:
		return with(c, func(p storage.UserTokenInsertParams) (any, error) { return m.UserTokenInsert(ctx, &p) })
	case opUserTokenDelete:
		return with(c, func(p userArgs) (any, error) { return nil, m.UserTokenDelete(ctx, p.Name, p.ID, p.Now) })
	case opAuditInsert:
		return with(c, func(p storage.AuditEntry) (any, error) { return m.AuditInsert(ctx, &p) })
	case opOccurrenceInsert:
		return with(c, func(p storage.OccurrenceInsertParams) (any, error) { return m.OccurrenceInsert(ctx, &p) })
	case opOccurrenceInsertBatch:
		return with(c, func(p []*storage.OccurrenceInsertParams) (any, error) { return m.OccurrenceInsertBatch(ctx, p) })
	case opDeliveryClaim:
		return with(c, func(p storage.DeliveryClaimParams) (any, error) { return m.DeliveryClaim(ctx, &p) })
	case opDeliveryComplete:
		return with(c, func(p storage.DeliveryCompleteParams) (any, error) { return m.DeliveryComplete(ctx, &p) })
	case opDeliveryRelease:
		return with(c, func(p storage.DeliveryReleaseParams) (any, error) { return nil, m.DeliveryRelease(ctx, &p) })
	case opDeliveryReleaseExpired:
		return with(c, func(p storage.DeliveryReleaseExpiredParams) (any, error) { return m.DeliveryReleaseExpired(ctx, &p) })
	case opDeliveryRetryNow:
		return with(c, func(p deliveryArgs) (any, error) { return m.DeliveryRetryNow(ctx, p.ID, p.Now) })
	case opDeliveryReplay:
		return with(c, func(p deliveryArgs) (any, error) { return m.DeliveryReplay(ctx, p.ID, p.Now) })
	case opDeliveryDiscard:
		return with(c, func(p deliveryArgs) (any, error) { return m.DeliveryDiscard(ctx, p.ID, p.Now) })
	}
	return nil, fmt.Errorf("unknown command %q (written by a newer Eventloom? run the same version on every node)", c.Op)
}

// with decodes c's arguments as A and runs f on them.
func with[A any](c *command, f func(A) (any, error)) (any, error) {
	a, err := args[A](c)
	if err != nil {
		return nil, fmt.Errorf("command %s %s: %w", c.Op, c.ID, err)
	}
	return f(a)
}
