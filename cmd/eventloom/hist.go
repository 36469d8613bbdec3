package main

import (
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// histSub is the number of linear sub-buckets per power of two: 16 keeps
// every reported quantile within about 6% of the true value.
const histSub = 16

// hist is a lock-free log-linear latency histogram in nanoseconds.
type hist struct {
	counts [64 * histSub]atomic.Uint64
}

func newHist() *hist { return &hist{} }

func histBucket(ns int64) int {
	if ns < histSub {
		return int(max(ns, 0))
	}
	v := uint64(ns)
	e := bits.Len64(v) - 1                // v in [2^e, 2^(e+1))
	sub := (v >> (e - 4)) & (histSub - 1) // next 4 bits below the leading one
	return e*histSub + int(sub)
}

// histValue is the midpoint of bucket i, in nanoseconds.
func histValue(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	e, sub := i/histSub, uint64(i%histSub)
	lo := uint64(1)<<e | sub<<(e-4)
	return int64(lo + (uint64(1)<<(e-4))/2)
}

func (h *hist) record(d time.Duration) { h.counts[histBucket(int64(d))].Add(1) }

func (h *hist) quantile(q float64) int64 {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return histValue(i)
		}
	}
	return 0
}

func (h *hist) max() int64 {
	for i := len(h.counts) - 1; i >= 0; i-- {
		if h.counts[i].Load() > 0 {
			return histValue(i)
		}
	}
	return 0
}

// latencyMS summarises the histogram in milliseconds, with the ceiling's
// keys.
func (h *hist) latencyMS() map[string]float64 {
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	return map[string]float64{"p50": ms(h.quantile(0.50)), "p90": ms(h.quantile(0.90)), "p99": ms(h.quantile(0.99)), "max": ms(h.max())}
}

// memMB reports resident and peak memory and the Go heap, in MiB.
func memMB() map[string]float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return map[string]float64{
		"rss_mb":        float64(procStatusKB("VmRSS")) / 1024,
		"rss_peak_mb":   float64(procStatusKB("VmHWM")) / 1024,
		"heap_inuse_mb": float64(ms.HeapInuse) / (1 << 20),
		"go_sys_mb":     float64(ms.Sys) / (1 << 20),
	}
}

// procStatusKB reads a kB field such as VmRSS from /proc/self/status.
func procStatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}
