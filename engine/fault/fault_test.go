package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/eventloom/eventloom/engine/fault"
)

func TestListMatchesAnyMemberThroughWrapping(t *testing.T) {
	l := fault.List{fault.Field("Qty", "wrong_type", "must be a number"), fault.New(fault.ErrTooLarge, "payload_too_large", "too big")}
	err := fmt.Errorf("trigger Shop.Placed: %w", l.Err())
	if !errors.Is(err, fault.ErrInvalid) || !errors.Is(err, fault.ErrTooLarge) || errors.Is(err, fault.ErrNotFound) {
		t.Fatal("errors.Is does not see exactly the members' kinds")
	}
	all := fault.All(err)
	if len(all) != 2 || all[0].Field != "Qty" || all[0].Error() != "Qty: must be a number" {
		t.Fatalf("All = %v", all)
	}
	if fault.All(errors.New("plain")) != nil {
		t.Fatal("All of a plain error is not nil")
	}
}

func TestListErr(t *testing.T) {
	if (fault.List{}).Err() != nil {
		t.Fatal("empty list is an error")
	}
	one := fault.New(fault.ErrConflict, "exists", "exists already")
	if (fault.List{one}).Err() != error(one) {
		t.Fatal("a list of one is not its member")
	}
	var e *fault.Error
	if !errors.As(fmt.Errorf("x: %w", one), &e) || e.Code != "exists" {
		t.Fatal("errors.As does not find the *Error")
	}
}
