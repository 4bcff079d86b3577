package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathFindsManifest(t *testing.T) {
	p := Path(t, "DICOM-MANIFEST.md")
	if !filepath.IsAbs(p) {
		t.Fatalf("Path returned a relative path %q", p)
	}
	b, err := os.ReadFile(p)
	if err != nil || len(b) < 1000 {
		t.Fatalf("manifest unreadable or too short: %d bytes, %v", len(b), err)
	}
}

func TestMissingFileSkipsOutsideCI(t *testing.T) {
	if InCI() {
		t.Skip("this test checks the non-CI behaviour")
	}
	if Dir() == "" {
		t.Skip("no corpus")
	}
	var skipped bool
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Path(t, "no/such/file")
	})
	if !skipped {
		t.Fatal("a missing file did not skip the test outside CI")
	}
}
