package host

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{"", Shard{}, false},
		{"0/1", Shard{0, 1}, false},
		{"3/4", Shard{3, 4}, false},
		{" 2 / 5 ", Shard{2, 5}, false},
		{"4/4", Shard{}, true},
		{"-1/4", Shard{}, true},
		{"0/0", Shard{}, true},
		{"1", Shard{}, true},
		{"a/b", Shard{}, true},
		{"1/2/3", Shard{}, true},
	} {
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): error %v does not wrap ErrShard", tc.in, err)
		}
		if err == nil && tc.in != "" {
			if back, _ := ParseShard(got.String()); back != got {
				t.Errorf("String/ParseShard round trip of %v gave %v", got, back)
			}
		}
	}
}

// fnv1a64 is FNV-1a 64 from its definition (offset basis and prime of the
// FNV specification), independent of hash/fnv.
func fnv1a64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// TestShardPartition checks that the shards of a split together hold every
// series exactly once, that the split is the documented hash (so it stays
// the same across versions and machines: a batch resumed by a newer mmcseg
// splits the same way), and that it is not lopsided.
func TestShardPartition(t *testing.T) {
	keys := []string{"1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192", "synthetic-0123456789abcdef", "file-00ff00ff00ff00ff"}
	for range 997 {
		keys = append(keys, dicomio.NewUID())
	}
	for n := 1; n <= 9; n++ {
		count := make([]int, n)
		for _, k := range keys {
			in := 0
			for i := range n {
				if (Shard{i, n}).Selects(k) {
					in++
					count[i]++
					if uint64(i) != fnv1a64(k)%uint64(n) {
						t.Fatalf("shard of %q among %d is %d, not FNV-1a 64 mod n = %d", k, n, i, fnv1a64(k)%uint64(n))
					}
				}
			}
			if in != 1 {
				t.Fatalf("%q is in %d of %d shards", k, in, n)
			}
		}
		for i, c := range count {
			if want := len(keys) / n; c < want/2 || c > want*3/2 {
				t.Errorf("shard %d/%d holds %d of %d series", i, n, c, len(keys))
			}
		}
	}
	if !(Shard{}).Selects("x") {
		t.Error("the zero shard selects nothing")
	}
}

func TestParseFormats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"seg,nifti", "[seg nifti]", false},
		{"PNG, nifti,png", "[png nifti]", false},
		{"nifti,", "[nifti]", false},
		{"", "", true},
		{"dicom", "", true},
	} {
		got, err := ParseFormats(tc.in)
		if (err != nil) != tc.err || (err == nil && fmt.Sprint(got) != tc.want) {
			t.Errorf("ParseFormats(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "x", "1/0", "99999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			return
		}
		if sh != (Shard{}) && (sh.Index < 0 || sh.Index >= sh.Count) {
			t.Fatalf("ParseShard(%q) accepted %v", s, sh)
		}
	})
}
