package jetstream

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// The write methods publish a command and return the result of applying
// it (see Store.write); the read methods wait for the read barrier (see
// Store.fresh) and then answer from the read model. Each one's contract is
// storage.Storage's.

// readAs answers f from the model once the read barrier is passed.
func readAs[R any](ctx context.Context, s *Store, name string, f func() (R, error)) (R, error) {
	if err := s.fresh(ctx); err != nil {
		var zero R
		return zero, fmt.Errorf("%s: %w", name, err)
	}
	return f()
}

// writeAs publishes one command and returns its result as R.
func writeAs[R any](ctx context.Context, s *Store, op, msgID string, a any) (R, error) {
	var zero R
	v, err := s.write(ctx, op, msgID, a)
	if err != nil {
		return zero, err
	}
	if v == nil {
		return zero, nil
	}
	return v.(R), nil
}

// DesignApply publishes the write as a command; see storage.Storage.
func (s *Store) DesignApply(ctx context.Context, p *storage.DesignApplyParams) (design.Design, error) {
	return writeAs[design.Design](ctx, s, opDesignApply, "", p)
}

// KeyInsert publishes the write as a command; see storage.Storage.
func (s *Store) KeyInsert(ctx context.Context, p *storage.KeyInsertParams) (storage.Key, error) {
	return writeAs[storage.Key](ctx, s, opKeyInsert, "", p)
}

// SecretRotate publishes the write as a command; see storage.Storage.
func (s *Store) SecretRotate(ctx context.Context, p *storage.SecretRotateParams) (storage.AppSecret, error) {
	return writeAs[storage.AppSecret](ctx, s, opSecretRotate, "", p)
}

// UserInsert publishes the write as a command; see storage.Storage.
func (s *Store) UserInsert(ctx context.Context, u *storage.User) (storage.User, error) {
	return writeAs[storage.User](ctx, s, opUserInsert, "", u)
}

// UserUpdate publishes the write as a command; see storage.Storage.
func (s *Store) UserUpdate(ctx context.Context, p *storage.UserUpdateParams) (storage.User, error) {
	return writeAs[storage.User](ctx, s, opUserUpdate, "", p)
}

// UserTokenInsert publishes the write as a command; see storage.Storage.
func (s *Store) UserTokenInsert(ctx context.Context, p *storage.UserTokenInsertParams) (storage.UserToken, error) {
	return writeAs[storage.UserToken](ctx, s, opUserTokenInsert, "", p)
}

// AuditInsert publishes the write as a command; see storage.Storage.
func (s *Store) AuditInsert(ctx context.Context, e *storage.AuditEntry) (int64, error) {
	return writeAs[int64](ctx, s, opAuditInsert, "", e)
}

// OccurrenceInsert publishes the write as a command; see storage.Storage.
func (s *Store) OccurrenceInsert(ctx context.Context, p *storage.OccurrenceInsertParams) (*storage.OccurrenceInsertResult, error) {
	return writeAs[*storage.OccurrenceInsertResult](ctx, s, opOccurrenceInsert, "", p)
}

// OccurrenceInsertBatch publishes the write as a command; see storage.Storage.
func (s *Store) OccurrenceInsertBatch(ctx context.Context, p []*storage.OccurrenceInsertParams) ([]storage.OccurrenceInsertOutcome, error) {
	return writeAs[[]storage.OccurrenceInsertOutcome](ctx, s, opOccurrenceInsertBatch, "", p)
}

// DeliveryClaim publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryClaim(ctx context.Context, p *storage.DeliveryClaimParams) ([]storage.Claim, error) {
	return writeAs[[]storage.Claim](ctx, s, opDeliveryClaim, "", p)
}

// DeliveryComplete publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryComplete(ctx context.Context, p *storage.DeliveryCompleteParams) (*storage.DeliveryCompleteResult, error) {
	if err := p.Completion.Err(); err != nil {
		// Refused before it is published: a command no node could decode
		// must never reach the stream.
		return nil, fmt.Errorf("delivery %d complete: %w", p.DeliveryID, fault.New(fault.ErrInvalid, "invalid_completion", err.Error()))
	}
	return writeAs[*storage.DeliveryCompleteResult](ctx, s, opDeliveryComplete, "", p)
}

// DeliveryReleaseExpired publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryReleaseExpired(ctx context.Context, p *storage.DeliveryReleaseExpiredParams) (int, error) {
	return writeAs[int](ctx, s, opDeliveryReleaseExpired, "", p)
}

// DeliveryRetryNow publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryRetryNow(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return writeAs[delivery.Delivery](ctx, s, opDeliveryRetryNow, "", deliveryArgs{ID: id, Now: now})
}

// DeliveryReplay publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryReplay(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return writeAs[delivery.Delivery](ctx, s, opDeliveryReplay, "", deliveryArgs{ID: id, Now: now})
}

// DeliveryDiscard publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryDiscard(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return writeAs[delivery.Delivery](ctx, s, opDeliveryDiscard, "", deliveryArgs{ID: id, Now: now})
}

// KeyDelete publishes the write as a command; see storage.Storage.
func (s *Store) KeyDelete(ctx context.Context, appID, id int64) error {
	_, err := s.write(ctx, opKeyDelete, "", keyArgs{AppID: appID, ID: id})
	return err
}

// SettingPut publishes the write as a command; see storage.Storage.
func (s *Store) SettingPut(ctx context.Context, name, value string) error {
	_, err := s.write(ctx, opSettingPut, "", settingArgs{Name: name, Value: value})
	return err
}

// SessionPut publishes the write as a command; see storage.Storage.
func (s *Store) SessionPut(ctx context.Context, p *storage.SessionPutParams) error {
	_, err := s.write(ctx, opSessionPut, "", p)
	return err
}

// SessionDelete publishes the write as a command; see storage.Storage.
func (s *Store) SessionDelete(ctx context.Context, hash []byte) error {
	_, err := s.write(ctx, opSessionDelete, "", hashArgs{Hash: hash})
	return err
}

// UserDelete publishes the write as a command; see storage.Storage.
func (s *Store) UserDelete(ctx context.Context, name string, now time.Time) error {
	_, err := s.write(ctx, opUserDelete, "", userArgs{Name: name, Now: now})
	return err
}

// UserTokenDelete publishes the write as a command; see storage.Storage.
func (s *Store) UserTokenDelete(ctx context.Context, user string, id int64, now time.Time) error {
	_, err := s.write(ctx, opUserTokenDelete, "", userArgs{Name: user, ID: id, Now: now})
	return err
}

// DeliveryRelease publishes the write as a command; see storage.Storage.
func (s *Store) DeliveryRelease(ctx context.Context, p *storage.DeliveryReleaseParams) error {
	_, err := s.write(ctx, opDeliveryRelease, "", p)
	return err
}

// DesignLoad reads the model after the read barrier; see storage.Storage.
func (s *Store) DesignLoad(ctx context.Context) (design.Design, error) {
	return readAs(ctx, s, "DesignLoad", func() (design.Design, error) { return s.model.DesignLoad(ctx) })
}

// KeyList reads the model after the read barrier; see storage.Storage.
func (s *Store) KeyList(ctx context.Context, appID int64) ([]storage.Key, error) {
	return readAs(ctx, s, "KeyList", func() ([]storage.Key, error) { return s.model.KeyList(ctx, appID) })
}

// KeyLookup reads the model after the read barrier; see storage.Storage.
func (s *Store) KeyLookup(ctx context.Context, hash []byte) (storage.Key, error) {
	return readAs(ctx, s, "KeyLookup", func() (storage.Key, error) { return s.model.KeyLookup(ctx, hash) })
}

// SecretGet reads the model after the read barrier; see storage.Storage.
func (s *Store) SecretGet(ctx context.Context, appID int64) (storage.AppSecret, error) {
	return readAs(ctx, s, "SecretGet", func() (storage.AppSecret, error) { return s.model.SecretGet(ctx, appID) })
}

// SettingGet reads the model after the read barrier; see storage.Storage.
func (s *Store) SettingGet(ctx context.Context, name string) (string, error) {
	return readAs(ctx, s, "SettingGet", func() (string, error) { return s.model.SettingGet(ctx, name) })
}

// SessionGet reads the model after the read barrier; see storage.Storage.
func (s *Store) SessionGet(ctx context.Context, hash []byte) (storage.Session, error) {
	return readAs(ctx, s, "SessionGet", func() (storage.Session, error) { return s.model.SessionGet(ctx, hash) })
}

// UserGet reads the model after the read barrier; see storage.Storage.
func (s *Store) UserGet(ctx context.Context, name string) (storage.User, error) {
	return readAs(ctx, s, "UserGet", func() (storage.User, error) { return s.model.UserGet(ctx, name) })
}

// UserList reads the model after the read barrier; see storage.Storage.
func (s *Store) UserList(ctx context.Context) ([]storage.User, error) {
	return readAs(ctx, s, "UserList", func() ([]storage.User, error) { return s.model.UserList(ctx) })
}

// UserTokenList reads the model after the read barrier; see storage.Storage.
func (s *Store) UserTokenList(ctx context.Context, user string) ([]storage.UserToken, error) {
	return readAs(ctx, s, "UserTokenList", func() ([]storage.UserToken, error) { return s.model.UserTokenList(ctx, user) })
}

// AuditList reads the model after the read barrier; see storage.Storage.
func (s *Store) AuditList(ctx context.Context, p *storage.AuditListParams) ([]storage.AuditEntry, error) {
	return readAs(ctx, s, "AuditList", func() ([]storage.AuditEntry, error) { return s.model.AuditList(ctx, p) })
}

// DesignVersionList reads the model after the read barrier; see storage.Storage.
func (s *Store) DesignVersionList(ctx context.Context, p *storage.DesignVersionListParams) ([]storage.DesignVersion, error) {
	return readAs(ctx, s, "DesignVersionList", func() ([]storage.DesignVersion, error) { return s.model.DesignVersionList(ctx, p) })
}

// DesignVersionGet reads the model after the read barrier; see storage.Storage.
func (s *Store) DesignVersionGet(ctx context.Context, version int64) (storage.DesignVersion, error) {
	return readAs(ctx, s, "DesignVersionGet", func() (storage.DesignVersion, error) { return s.model.DesignVersionGet(ctx, version) })
}

// OccurrenceGet reads the model after the read barrier; see storage.Storage.
func (s *Store) OccurrenceGet(ctx context.Context, id int64) (delivery.Occurrence, error) {
	return readAs(ctx, s, "OccurrenceGet", func() (delivery.Occurrence, error) { return s.model.OccurrenceGet(ctx, id) })
}

// OccurrenceList reads the model after the read barrier; see storage.Storage.
func (s *Store) OccurrenceList(ctx context.Context, p *storage.OccurrenceListParams) ([]delivery.Occurrence, error) {
	return readAs(ctx, s, "OccurrenceList", func() ([]delivery.Occurrence, error) { return s.model.OccurrenceList(ctx, p) })
}

// TraceGet reads the model after the read barrier; see storage.Storage.
func (s *Store) TraceGet(ctx context.Context, traceID int64) ([]delivery.Occurrence, error) {
	return readAs(ctx, s, "TraceGet", func() ([]delivery.Occurrence, error) { return s.model.TraceGet(ctx, traceID) })
}

// TraceList reads the model after the read barrier; see storage.Storage.
func (s *Store) TraceList(ctx context.Context, p *storage.TraceListParams) ([]delivery.Occurrence, error) {
	return readAs(ctx, s, "TraceList", func() ([]delivery.Occurrence, error) { return s.model.TraceList(ctx, p) })
}

// OccurrenceDepth reads the model after the read barrier; see storage.Storage.
func (s *Store) OccurrenceDepth(ctx context.Context, id int64, limit int) (int, error) {
	return readAs(ctx, s, "OccurrenceDepth", func() (int, error) { return s.model.OccurrenceDepth(ctx, id, limit) })
}

// DeliveryGet reads the model after the read barrier; see storage.Storage.
func (s *Store) DeliveryGet(ctx context.Context, id int64) (delivery.Delivery, error) {
	return readAs(ctx, s, "DeliveryGet", func() (delivery.Delivery, error) { return s.model.DeliveryGet(ctx, id) })
}

// DeliveryList reads the model after the read barrier; see storage.Storage.
func (s *Store) DeliveryList(ctx context.Context, p *storage.DeliveryListParams) ([]delivery.Delivery, error) {
	return readAs(ctx, s, "DeliveryList", func() ([]delivery.Delivery, error) { return s.model.DeliveryList(ctx, p) })
}

// DeliveryCounts reads the model after the read barrier; see storage.Storage.
func (s *Store) DeliveryCounts(ctx context.Context, since time.Time) (map[delivery.Status]int, error) {
	return readAs(ctx, s, "DeliveryCounts", func() (map[delivery.Status]int, error) { return s.model.DeliveryCounts(ctx, since) })
}

// DeliveriesAhead reads the model after the read barrier; see storage.Storage.
func (s *Store) DeliveriesAhead(ctx context.Context, subID, id int64, due time.Time, limit int) (int, error) {
	return readAs(ctx, s, "DeliveriesAhead", func() (int, error) { return s.model.DeliveriesAhead(ctx, subID, id, due, limit) })
}

// QueueDepths reads the model after the read barrier; see storage.Storage.
func (s *Store) QueueDepths(ctx context.Context) (map[int64]int, error) {
	return readAs(ctx, s, "QueueDepths", func() (map[int64]int, error) { return s.model.QueueDepths(ctx) })
}

// UserTokenLookup reads the model after the read barrier; see
// storage.Users.
func (s *Store) UserTokenLookup(ctx context.Context, hash []byte) (storage.UserToken, storage.User, error) {
	if err := s.fresh(ctx); err != nil {
		return storage.UserToken{}, storage.User{}, fmt.Errorf("UserTokenLookup: %w", err)
	}
	return s.model.UserTokenLookup(ctx, hash)
}

// DeliveryNextDue reads the model after the read barrier; see
// storage.Storage.
func (s *Store) DeliveryNextDue(ctx context.Context, subscriptionID int64) (time.Time, bool, error) {
	if err := s.fresh(ctx); err != nil {
		return time.Time{}, false, fmt.Errorf("DeliveryNextDue: %w", err)
	}
	return s.model.DeliveryNextDue(ctx, subscriptionID)
}

// AttemptFinishedList reads the model after the read barrier; see
// storage.Attempts.
func (s *Store) AttemptFinishedList(ctx context.Context, p *storage.AttemptFinishedListParams) (*storage.AttemptFinishedPage, error) {
	return readAs(ctx, s, "AttemptFinishedList", func() (*storage.AttemptFinishedPage, error) { return s.model.AttemptFinishedList(ctx, p) })
}

// DeliveryListTouched reads the model after the read barrier; see
// storage.Storage.
func (s *Store) DeliveryListTouched(ctx context.Context, p *storage.DeliveryTouchedParams) ([]delivery.Delivery, error) {
	return readAs(ctx, s, "DeliveryListTouched", func() ([]delivery.Delivery, error) { return s.model.DeliveryListTouched(ctx, p) })
}

// DeliveryCount reads the model after the read barrier; see
// storage.Storage.
func (s *Store) DeliveryCount(ctx context.Context, p *storage.DeliveryListParams) (int, error) {
	return readAs(ctx, s, "DeliveryCount", func() (int, error) { return s.model.DeliveryCount(ctx, p) })
}
