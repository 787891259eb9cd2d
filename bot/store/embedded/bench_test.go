package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/clock"
)

const benchHashes = 10000

// fillHashes writes n check-in-like hashes (five fields, a TTL on half of them).
func fillHashes(b *testing.B, c redis.UniversalClient, n int) {
	b.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	for i := range n {
		key := fmt.Sprintf("kring:{t:p%d}:checkin:%d", i%30, i)
		p.HSet(ctx, key, "mood", i%5+1, "goal", "finish chapter 3 of the history book",
			"open", "tired after football, but the test went fine", "met", "partly", "at", 1735689600+i)
		if i%2 == 0 {
			p.Expire(ctx, key, 365*24*time.Hour)
		}
		if p.Len() >= 1000 {
			if _, err := p.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFlush measures one snapshot of 10,000 hashes: copying out under the write
// lock, encoding, and the atomic write with fsync.
func BenchmarkFlush(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kring.json")
	s := openTest(b, path, clock.NewFake(t0), nil)
	c := newClient(b, s)
	fillHashes(b, c, benchHashes)
	for b.Loop() {
		if err := s.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}

// BenchmarkSnapshotLocked measures only the part that holds the write lock, the time
// every command may wait for a snapshot.
func BenchmarkSnapshotLocked(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "kring.json"), clock.NewFake(t0), nil)
	c := newClient(b, s)
	fillHashes(b, c, benchHashes)
	for b.Loop() {
		s.mu.Lock()
		s.snapshotLocked()
		s.mu.Unlock()
	}
}

// BenchmarkOpen measures loading a file of 10,000 hashes at start.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kring.json")
	s := openTest(b, path, clock.NewFake(t0), nil)
	fillHashes(b, newClient(b, s), benchHashes)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := open(path, clock.NewFake(t0), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.abandon()
	}
}

// BenchmarkCommand measures a GET through the hook with 10,000 keys stored, on a
// clock that advances a millisecond per command (so TTLs are aged once per
// TTLResolution), against the same GET on a clock that stands still.
func BenchmarkCommand(b *testing.B) {
	for _, step := range []time.Duration{0, time.Millisecond} {
		b.Run(fmt.Sprintf("clock+%v", step), func(b *testing.B) {
			clk := clock.NewFake(t0)
			s := openTest(b, filepath.Join(b.TempDir(), "kring.json"), clk, nil)
			c := newClient(b, s)
			fillHashes(b, c, benchHashes)
			ctx := context.Background()
			for b.Loop() {
				clk.Advance(step)
				if err := c.HGet(ctx, "kring:{t:p0}:checkin:0", "mood").Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
