package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// triggerBatch triggers app's event once per element of the JSON array in
// file ("-": standard input) through the client's batch call, and prints
// one line per item. It fails when any item was refused, so a script
// notices.
func triggerBatch(ctx context.Context, key, file, app, event string, stdout io.Writer) error {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("read the batch: %w", err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return fmt.Errorf("%s must hold a JSON array of parameter objects such as [{\"Quantity\": 2}, {\"Quantity\": 5}]: %w", file, err)
	}
	c, err := newClientAs(key)
	if err != nil {
		return err
	}
	batch := make([]any, len(items))
	for i, it := range items {
		batch[i] = it
	}
	res, err := c.TriggerBatch(ctx, app, event, batch)
	if err != nil {
		return err
	}
	for _, it := range res.Items {
		if it.Err != nil {
			fmt.Fprintf(stdout, "item %d: refused: %v\n", it.Index, it.Err)
			continue
		}
		fmt.Fprintf(stdout, "item %d: accepted as occurrence %d (trace %d, %d deliveries)\n", it.Index, it.Result.OccurrenceID, it.Result.TraceID, it.Result.Deliveries)
	}
	fmt.Fprintf(stdout, "%d accepted, %d refused\n", res.Accepted, res.Refused)
	if res.Refused > 0 {
		return fmt.Errorf("%d of %d items were refused (see above); the accepted ones are stored", res.Refused, len(res.Items))
	}
	return nil
}
