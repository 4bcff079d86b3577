package host

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// ErrShard reports a malformed --shard value.
var ErrShard = errors.New("bad shard")

// Shard selects one part of a batch: series whose key hashes to Index
// modulo Count. The zero value (Count 0) selects everything.
//
// The hash is FNV-1a 64 of the series key (the SeriesInstanceUID, or the
// synthetic key of a series without one, or the key of a NIfTI or image
// input), so the split depends only on the series themselves: the same
// archive splits the same way on every machine and every run, and the
// shards 0/n … n−1/n together select every series exactly once.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 ≤ i < n (Kubernetes' JOB_COMPLETION_INDEX
// and zero-based Slurm array indices fit directly). "" is the zero Shard.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: want i/n, e.g. 0/4", ErrShard, s)
	}
	sh := Shard{Index: i, Count: n}
	if n < 1 {
		return Shard{}, fmt.Errorf("%w %q: want n ≥ 1", ErrShard, s)
	}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Validate reports a shard outside 0 ≤ Index < Count (the zero Shard is
// valid).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("%w %d/%d: want 0 ≤ i < n", ErrShard, s.Index, s.Count)
	}
	return nil
}

// String writes the shard as ParseShard reads it ("" for the zero Shard).
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Selects reports whether the series with this key belongs to the shard.
func (s Shard) Selects(key string) bool {
	if s.Count <= 1 {
		return true
	}
	return ShardOf(key, s.Count) == s.Index
}

// ShardOf returns the shard (0..n−1) of a series key among n shards.
func ShardOf(key string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int(h.Sum64() % uint64(n))
}
