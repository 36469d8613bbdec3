package main

import (
	"testing"
	"time"
)

func TestHistQuantilesWithinBucketError(t *testing.T) {
	h := newHist()
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 500e3}, {0.9, 900e3}, {0.99, 990e3}} {
		got := float64(h.quantile(c.q))
		if got < c.want*0.94 || got > c.want*1.06 {
			t.Errorf("q%.2f = %.0f ns, want %.0f ± 6%%", c.q, got, c.want)
		}
	}
	if m := float64(h.max()); m < 1e6*0.94 || m > 1e6*1.06 {
		t.Errorf("max = %.0f ns, want about 1ms", m)
	}
	if newHist().quantile(0.5) != 0 {
		t.Error("empty histogram quantile is not 0")
	}
}
