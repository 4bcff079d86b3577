package nifti

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
)

// countdownCtx reports cancellation from its n-th Err call on, so that a
// test can cancel a write in the middle of its data.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// dirNames lists a folder, temporary files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteRefuses: bad requests fail with a clear error naming the file and
// leave nothing behind.
func TestWriteRefuses(t *testing.T) {
	g := phantomGrid()
	n := g.Columns * g.Rows * g.Slices
	bad := g
	bad.RowSpacing = 0
	wide := geom.Grid{Columns: 40000, Rows: 1, Slices: 1, RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0},
		SliceDir: geom.Vec3{0, 0, 1}, RowSpacing: 1, ColSpacing: 1, SliceSpacing: 1}
	nan := g
	nan.Origin[1] = math.NaN()
	cases := []struct {
		name, file string
		write      func(p string) error
		want       error
		mention    string
	}{
		{"unknown extension", "x.nii.bz2", func(p string) error {
			_, err := Write(context.Background(), p, g, make([]uint8, n), WriteOptions{})
			return err
		}, nil, ".nii or .nii.gz"},
		{"too few voxels", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, g, make([]uint8, n-1), WriteOptions{})
			return err
		}, nil, "needs"},
		{"4-D with too few voxels", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, g, make([]uint8, n), WriteOptions{Volumes: 2})
			return err
		}, nil, "needs"},
		{"invalid grid", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, bad, make([]uint8, n), WriteOptions{})
			return err
		}, geom.ErrBadSpacing, ""},
		{"non-finite origin", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, nan, make([]uint8, n), WriteOptions{})
			return err
		}, ErrGeometry, "origin"},
		{"dimension beyond NIfTI-1", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, wide, make([]uint8, 40000), WriteOptions{})
			return err
		}, ErrUnsupported, "32767"},
		{"RGB not in triplets", "x.nii", func(p string) error {
			_, err := WriteRGB(context.Background(), p, g, make([]byte, 3*n+1), WriteOptions{})
			return err
		}, nil, "multiple of 3"},
		{"invalid xform code", "x.nii", func(p string) error {
			_, err := Write(context.Background(), p, g, make([]uint8, n), WriteOptions{XformCode: 9})
			return err
		}, ErrBadHeader, "xform code"},
		{"bad label table", "x.nii.gz", func(p string) error {
			_, err := WriteLabels(context.Background(), p, g, make([]uint8, n), LabelTable{{Value: 1, Name: ""}}, WriteOptions{})
			return err
		}, nil, "no name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, c.file)
			err := c.write(p)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q should name %s and say %q", err, p, c.mention)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
		})
	}
	if _, err := Write(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir.nii"), g, make([]uint8, n), WriteOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}

// TestWriteCancelled cancels writes before and in the middle of the data:
// the target keeps its old content and no temporary file remains.
func TestWriteCancelled(t *testing.T) {
	g := lidcGrid(256, 256, 80) // 5 MiB: several chunks
	data := make([]uint8, g.Columns*g.Rows*g.Slices)
	for _, name := range []string{"mask.nii", "mask.nii.gz"} {
		for _, after := range []int64{0, 1, 3} {
			dir := t.TempDir()
			p := filepath.Join(dir, name)
			old := []byte("the previous mask")
			os.WriteFile(p, old, 0o644)
			ctx := &countdownCtx{Context: context.Background()}
			ctx.n.Store(after)
			_, err := Write(ctx, p, g, data, WriteOptions{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s cancelled after %d checks: error %v", name, after, err)
			}
			if b, _ := os.ReadFile(p); !bytes.Equal(b, old) {
				t.Errorf("%s: the old file was changed", name)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("%s: folder holds %v", name, names)
			}
		}
	}
}

// TestWriteReplacesAtomically overwrites an existing file and checks the
// permissions and Info.
func TestWriteReplacesAtomically(t *testing.T) {
	g := phantomGrid()
	dir := t.TempDir()
	p := filepath.Join(dir, "mask.nii.gz")
	os.WriteFile(p, []byte("old"), 0o600)
	info, err := Write(context.Background(), p, g, make([]uint8, g.Columns*g.Rows*g.Slices), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != info.Bytes || fi.Mode().Perm() != 0o644 || info.Path != p {
		t.Errorf("size %d (Info %d), mode %v, path %s", fi.Size(), info.Bytes, fi.Mode(), info.Path)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v", names)
	}
	if _, err := ReadFile(context.Background(), p, ReadOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestDescrip: descrip keeps at most 79 bytes and never splits a character.
func TestDescrip(t *testing.T) {
	g := phantomGrid()
	n := g.Columns * g.Rows * g.Slices
	for _, c := range []struct{ in, want string }{
		{"mmcseg 1.2.0 mmcformer", "mmcseg 1.2.0 mmcformer"},
		{strings.Repeat("a", 78) + "é", strings.Repeat("a", 78)},
		{strings.Repeat("b", 79), strings.Repeat("b", 79)},
		{strings.Repeat("c", 200), strings.Repeat("c", 79)},
	} {
		p := filepath.Join(t.TempDir(), "d.nii")
		if _, err := Write(context.Background(), p, g, make([]uint8, n), WriteOptions{Descrip: c.in}); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeaderFile(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if h.Descrip != c.want {
			t.Errorf("descrip %q, want %q", h.Descrip, c.want)
		}
	}
}

// TestWriteLabelsAllOrNothing cancels WriteLabels at every point where it
// checks its context: the previous map and label tables stay exactly as
// they were, and no temporary file remains.
func TestWriteLabelsAllOrNothing(t *testing.T) {
	g := lidcGrid(256, 256, 40) // several chunks of data
	labels := make([]uint8, g.Columns*g.Rows*g.Slices)
	labels[100] = 1
	table := LabelTable{{Value: 1, Name: "new"}}

	// Count the checks a complete write makes.
	probe := &countdownCtx{Context: context.Background()}
	probe.n.Store(1 << 30)
	if _, err := WriteLabels(probe, filepath.Join(t.TempDir(), "m.nii.gz"), g, labels, table, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	checks := 1<<30 - probe.n.Load()
	if checks < 4 {
		t.Fatalf("only %d context checks", checks)
	}
	for after := range checks {
		dir := t.TempDir()
		names := []string{"m.nii.gz", "m_labels.txt", "m_labels.json"}
		for _, n := range names {
			os.WriteFile(filepath.Join(dir, n), []byte("old "+n), 0o644)
		}
		ctx := &countdownCtx{Context: context.Background()}
		ctx.n.Store(after)
		if _, err := WriteLabels(ctx, filepath.Join(dir, "m.nii.gz"), g, labels, table, WriteOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d of %d checks: %v", after, checks, err)
		}
		for _, n := range names {
			if b, _ := os.ReadFile(filepath.Join(dir, n)); string(b) != "old "+n {
				t.Errorf("cancelled after %d of %d checks: %s changed", after, checks, n)
			}
		}
		if got := dirNames(t, dir); len(got) != 3 {
			t.Errorf("cancelled after %d of %d checks: folder holds %v", after, checks, got)
		}
	}
}
