package host

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

func evalTouch(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPairImages(t *testing.T) {
	root := t.TempDir()
	img, msk := filepath.Join(root, "images"), filepath.Join(root, "masks")
	evalTouch(t, img, "b.jpg", "a.png", "c.bmp", "notes.txt", "d.tif")
	evalTouch(t, msk, "a.png", "b.png", "c_lesion.bmp", "d.tiff", "z.png")
	names := func(ps []EvalPair) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name+"→"+filepath.Base(p.Mask))
		}
		return out
	}
	pairs, unmatched, err := PairImages(img, msk, Pairing{})
	if err != nil {
		t.Fatal(err)
	}
	// Name order; any image extension on either side; the text file and
	// the mask without an image are ignored.
	if got, want := names(pairs), []string{"a→a.png", "b→b.png", "d→d.tiff"}; !slices.Equal(got, want) {
		t.Errorf("pairs %q, want %q", got, want)
	}
	if !slices.Equal(unmatched, []string{"c.bmp"}) {
		t.Errorf("unmatched %q", unmatched)
	}
	if pairs[1].Image != filepath.Join(img, "b.jpg") {
		t.Errorf("image path %s", pairs[1].Image)
	}

	pairs, unmatched, err = PairImages(img, msk, Pairing{MaskName: "{stem}_lesion"})
	if err != nil || len(unmatched) != 3 || !slices.Equal(names(pairs), []string{"c→c_lesion.bmp"}) {
		t.Errorf("template: %v %q %q", err, names(pairs), unmatched)
	}
	pairs, _, err = PairImages(img, msk, Pairing{Glob: "*.jpg"})
	if err != nil || !slices.Equal(names(pairs), []string{"b→b.png"}) {
		t.Errorf("glob: %v %q", err, names(pairs))
	}

	for _, tc := range []struct {
		name  string
		setup func(img, msk string)
		p     Pairing
		want  string
	}{
		{"two masks", func(_, m string) { evalTouch(t, m, "a.bmp") }, Pairing{}, "image a.png has several masks"},
		{"two images", func(i, _ string) { evalTouch(t, i, "a.jpg") }, Pairing{}, "have the same name"},
		{"template without stem", nil, Pairing{MaskName: "mask"}, "must contain {stem}"},
		{"template with a path", nil, Pairing{MaskName: "../{stem}"}, "no path separator"},
		{"bad glob", nil, Pairing{Glob: "["}, "bad pattern"},
		{"missing folder", func(i, _ string) { os.RemoveAll(i) }, Pairing{}, "no such file"},
	} {
		root := t.TempDir()
		img, msk := filepath.Join(root, "i"), filepath.Join(root, "m")
		evalTouch(t, img, "a.png", "b.png")
		evalTouch(t, msk, "a.png", "b.png")
		if tc.setup != nil {
			tc.setup(img, msk)
		}
		_, _, err := PairImages(img, msk, tc.p)
		if !errors.Is(err, ErrPairs) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The defaults pair both evaluation sets completely (EVAL-MANIFEST.md: 200
// PH2 pairs, 41 lung pairs).
func TestPairImagesSharedData(t *testing.T) {
	for _, tc := range []struct {
		set   string
		n     int
		first string
	}{{"ph2", 200, "IMD002"}, {"lung-ct-2d", 41, "ID_0000_Z_0142"}} {
		dir := shareddata.Path(t, tc.set)
		pairs, unmatched, err := PairImages(filepath.Join(dir, "images"), filepath.Join(dir, "masks"), Pairing{})
		if err != nil || len(pairs) != tc.n || len(unmatched) != 0 || pairs[0].Name != tc.first {
			t.Errorf("%s: %v, %d pairs (first %v), %d unmatched", tc.set, err, len(pairs), pairs[0], len(unmatched))
		}
	}
}
