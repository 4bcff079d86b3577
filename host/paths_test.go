package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSanitizeComponent(t *testing.T) {
	long := strings.Repeat("1.2", 100) // 300 characters
	for _, tc := range []struct {
		in, fallback, want string
	}{
		{"1.2.840.113619.2.55", "", "1.2.840.113619.2.55"},
		{"LIDC-IDRI-0001", "", "LIDC-IDRI-0001"},
		{"a_b", "", "a_b"},
		{"a/b", "", "a_b-" + hash16("a/b")[:8]},
		{"/etc", "", "_etc-" + hash16("/etc")[:8]},
		{"../../x", "", "_._.._x-" + hash16("../../x")[:8]},
		{"..", "", "_.-" + hash16("..")[:8]},
		{".", "", "h-" + hash16(".")},
		{"", "unknown-patient", "unknown-patient"},
		{"", "a/b", "a_b-" + hash16("a/b")[:8]},
		{"Müller^Hans", "", "M__ller_Hans-" + hash16("Müller^Hans")[:8]},
		{"a\\b", "", "a_b-" + hash16("a\\b")[:8]},
	} {
		got := SanitizeComponent(tc.in, tc.fallback)
		if got != tc.want {
			t.Errorf("SanitizeComponent(%q, %q) = %q, want %q", tc.in, tc.fallback, got, tc.want)
		}
	}
	// Values of which nothing survives are told apart by a hash.
	a, b := SanitizeComponent("\x00", ""), SanitizeComponent("\x00\x00", "")
	if a == b || !strings.HasPrefix(a, "h-") {
		t.Errorf("NUL values: %q and %q", a, b)
	}
	// Long values are bounded and stay distinct.
	l1, l2 := SanitizeComponent(long, ""), SanitizeComponent(long+"9", "")
	if len(l1) != MaxComponent || len(l2) != MaxComponent || l1 == l2 {
		t.Errorf("long values: %q (%d) and %q (%d)", l1, len(l1), l2, len(l2))
	}
	// Empty value and empty fallback.
	if e := SanitizeComponent("", ""); e != "h-"+hash16("") {
		t.Errorf("empty: %q", e)
	}
}

// TestSeriesDirHostile builds output folders from hostile DICOM values and
// checks, by creating them, that every one lands inside the output folder.
func TestSeriesDirHostile(t *testing.T) {
	out := t.TempDir()
	hostile := []string{"../../x", "/etc", "a/b", "\x00", strings.Repeat("9", 300), "", ".", "..", "../", "..\\..\\x", "~root", "$(rm -rf /)", "a/../../b", "\n", " "}
	seen := map[string]string{}
	for _, p := range hostile {
		for _, s := range hostile {
			d, err := SeriesDir(out, p, "1.2.3", s)
			if err != nil {
				t.Fatalf("SeriesDir(%q, %q): %v", p, s, err)
			}
			rel, err := filepath.Rel(out, d)
			if err != nil || !filepath.IsLocal(rel) || len(strings.Split(rel, string(filepath.Separator))) != 3 {
				t.Fatalf("SeriesDir(%q, %q) = %q escapes %q or is not three levels deep", p, s, d, out)
			}
			for _, c := range strings.Split(rel, string(filepath.Separator)) {
				if c == "" || c == "." || c == ".." || len(c) > MaxComponent || strings.HasPrefix(c, ".") {
					t.Fatalf("SeriesDir(%q, %q) has component %q", p, s, c)
				}
			}
			if other, dup := seen[d]; dup && other != p+"\x01"+s {
				t.Errorf("SeriesDir: %q and %q share %s", other, p+"\x01"+s, d)
			}
			seen[d] = p + "\x01" + s
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Nothing was created outside out.
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(out) {
			t.Errorf("something appeared beside the output folder: %s", e.Name())
		}
	}
}

func FuzzSanitizeComponent(f *testing.F) {
	for _, s := range []string{"", ".", "..", "../../x", "/etc", "a/b", "\x00", strings.Repeat("x", 300), "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := SanitizeComponent(s, "")
		if c == "" || c == "." || c == ".." || len(c) > MaxComponent || strings.ContainsAny(c, "/\\\x00") || c[0] == '.' {
			t.Fatalf("SanitizeComponent(%q) = %q", s, c)
		}
		if !filepath.IsLocal(c) {
			t.Fatalf("SanitizeComponent(%q) = %q is not local", s, c)
		}
	})
}
