package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op is one call; seq is unique across the whole bench run, so writes can derive
// distinct request ids and households from it.
type op func(ctx context.Context, worker int, seq int64) error

// outcome of one closed-loop run.
type outcome struct {
	ok, failed int
	elapsed    time.Duration
	lat        []time.Duration // sorted, successful calls only
	firstErr   error
}

func (o outcome) rps() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(o.ok) / o.elapsed.Seconds()
}

func (o outcome) quantile(q float64) time.Duration {
	if len(o.lat) == 0 {
		return 0
	}
	i := int(q * float64(len(o.lat)-1))
	return o.lat[i]
}

var seqCounter atomic.Int64

// drive runs f on workers goroutines for d. If rate > 0 the calls are paced to that many
// per second in total (each worker waits for its slot, then calls); otherwise each worker
// calls again as soon as the previous call returned (closed loop).
func drive(workers int, d time.Duration, rate float64, f op) outcome {
	ctx := context.Background()
	start := time.Now()
	stop := start.Add(d)
	var slot atomic.Int64
	var mu sync.Mutex
	var all outcome
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			failed := 0
			var firstErr error
			for {
				if rate > 0 {
					at := start.Add(time.Duration(float64(slot.Add(1)-1) / rate * float64(time.Second)))
					if at.After(stop) {
						break
					}
					if wait := time.Until(at); wait > 0 {
						time.Sleep(wait)
					}
				} else if !time.Now().Before(stop) {
					break
				}
				t0 := time.Now()
				err := f(ctx, w, seqCounter.Add(1))
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all.lat = append(all.lat, lat...)
			all.failed += failed
			if all.firstErr == nil {
				all.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	all.ok = len(all.lat)
	slices.Sort(all.lat)
	return all
}
