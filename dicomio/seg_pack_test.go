package dicomio

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// packFrames packs frames of labels (value v present) back to back with
// the writer's packer.
func packFrames(frames [][]uint8, v uint8) []byte {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	out := make([]byte, (n+7)/8)
	off := int64(0)
	for _, f := range frames {
		packLabelBits(out, off, f, v)
		off += int64(len(f))
	}
	return out
}

// TestPackLabelBitsAgainstPackBits compares the packer with the package's
// plain PackBits for frames whose sizes are and are not multiples of 8, for
// label values at both ends of the byte range and neighbours of the value
// (the SWAR comparison must not confuse v with v±1, 0 or 255).
func TestPackLabelBitsAgainstPackBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []uint8{1, 2, 7, 127, 128, 254, 255} {
		for _, size := range []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23 * 38, 24 * 38, 77, 255, 512 + 3} {
			for nframes := 1; nframes <= 4; nframes++ {
				frames := make([][]uint8, nframes)
				var mask []byte
				for f := range frames {
					frames[f] = make([]uint8, size)
					for i := range frames[f] {
						switch rng.IntN(6) {
						case 0, 1:
							frames[f][i] = v
						case 2:
							frames[f][i] = v + 1
						case 3:
							frames[f][i] = v - 1
						case 4:
							frames[f][i] = 0
						default:
							frames[f][i] = 255 ^ v
						}
						if frames[f][i] == v {
							mask = append(mask, 1)
						} else {
							mask = append(mask, 0)
						}
					}
				}
				got := packFrames(frames, v)
				want := PackBits(mask)
				if !bytes.Equal(got, want) {
					t.Fatalf("value %d, %d frames of %d: packed\n%x\nwant\n%x", v, nframes, size, got, want)
				}
				// UnpackBits (the reader's unpacker) gives each frame back.
				for f := range frames {
					back := make([]byte, size)
					UnpackBits(back, got, int64(f*size))
					for i := range back {
						if back[i] != mask[f*size+i] {
							t.Fatalf("value %d, frame %d of %d: pixel %d unpacks to %d", v, f, size, i, back[i])
						}
					}
				}
			}
		}
	}
}

// TestPackLabelBitsAllBytePatterns checks every pattern of eight pixels
// (each equal to the value or not) at every bit offset.
func TestPackLabelBitsAllBytePatterns(t *testing.T) {
	for _, v := range []uint8{0, 1, 128, 255} {
		for pattern := range 256 {
			for off := range int64(8) {
				labels := make([]uint8, 8)
				for i := range labels {
					if pattern>>i&1 == 1 {
						labels[i] = v
					} else {
						labels[i] = v ^ uint8(1<<(i%8)) // differs from v in one bit
					}
				}
				dst := make([]byte, 3)
				dst[0] = byte(1<<off) - 1 // bits before off belong to another frame
				packLabelBits(dst, off, labels, v)
				got := uint32(dst[0]) | uint32(dst[1])<<8 | uint32(dst[2])<<16
				want := uint32(1<<off) - 1 | uint32(pattern)<<off
				if got != want {
					t.Fatalf("value %d pattern %08b offset %d: %024b, want %024b", v, pattern, off, got, want)
				}
			}
		}
	}
}

// TestPackAgainstPydicom packs random multi-frame masks of sizes whose
// rows×columns is not a multiple of 8 and compares with pydicom's pack_bits
// (pydicom.pixel_data_handlers.numpy_handler), and unpacks pydicom's bytes
// with UnpackBits.
func TestPackAgainstPydicom(t *testing.T) {
	py := segPython(t)
	t.Parallel()
	dir := t.TempDir()
	type tc struct{ frames, rows, cols int }
	cases := []tc{{1, 1, 1}, {3, 1, 3}, {2, 3, 5}, {3, 7, 9}, {3, 38, 23}, {3, 38, 24}, {4, 11, 7}, {2, 13, 13}, {5, 510, 3}}
	rng := rand.New(rand.NewPCG(3, 4))
	masks := make([][]uint8, len(cases))
	for i, c := range cases {
		n := c.frames * c.rows * c.cols
		masks[i] = make([]uint8, n)
		for p := range masks[i] {
			if rng.IntN(3) == 0 {
				masks[i][p] = 1
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.mask", i)), masks[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const script = `
import sys, numpy as np
from pydicom.pixel_data_handlers.numpy_handler import pack_bits, unpack_bits
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    m = np.fromfile('%s/%d.mask' % (d, i), dtype='u1')
    packed = pack_bits(m, pad=False)
    open('%s/%d.packed' % (d, i), 'wb').write(packed)
    back = unpack_bits(packed)[:m.size].astype('u1')
    assert (back == m).all()
`
	if out, err := exec.Command(py, "-c", script, dir, fmt.Sprint(len(cases))).CombinedOutput(); err != nil {
		t.Fatalf("pydicom: %v\n%s", err, out)
	}
	for i, c := range cases {
		ref, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.packed", i)))
		if err != nil {
			t.Fatal(err)
		}
		plane := c.rows * c.cols
		frames := make([][]uint8, c.frames)
		for f := range frames {
			frames[f] = masks[i][f*plane : (f+1)*plane]
		}
		if got := packFrames(frames, 1); !bytes.Equal(got, ref) {
			t.Errorf("%d frames of %d×%d: packed %x, pydicom %x", c.frames, c.cols, c.rows, got, ref)
		}
		for f := range frames {
			back := make([]byte, plane)
			UnpackBits(back, ref, int64(f*plane))
			if !bytes.Equal(back, frames[f]) {
				t.Errorf("%d×%d frame %d: UnpackBits of pydicom's bytes differs", c.cols, c.rows, f)
			}
		}
	}
}

// TestPackReproducesRealSEGs unpacks the pixel data of real SEGs written by
// dcmqi (frames not byte aligned: 510×510 and 38×23), checks the manifest's
// foreground counts, and packs the frames again with the writer's packer:
// the bytes must be the files' own.
func TestPackReproducesRealSEGs(t *testing.T) {
	cases := []struct {
		path   string
		counts []int // foreground per frame; nil: only the total
		total  int
	}{
		{"seg-pydicom-data/liver_nonbyte_aligned.dcm", []int{36233, 35645, 35220}, 107098},
		{"seg-dcmqi/liver.dcm", []int{36233, 35645, 35220}, 107098},
		{"seg-dcmqi/23x38x3/seg/label.seg", nil, 322},
		{"seg-dcmqi/24x38x3/seg/label.seg", nil, 315},
	}
	for _, c := range cases {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(c.path)))+"/"+filepath.Base(c.path), func(t *testing.T) {
			ds, err := ReadFile(shareddata.Path(t, c.path), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			info, n, err := ds.PixelFormat()
			if err != nil {
				t.Fatal(err)
			}
			raw := ds.Bytes(tag.PixelData)
			plane := info.Rows * info.Columns
			frames := make([][]uint8, n)
			total := 0
			for f := range frames {
				frames[f] = make([]uint8, plane)
				UnpackBits(frames[f], raw, int64(f*plane))
				count := bytes.Count(frames[f], []byte{1})
				if c.counts != nil && count != c.counts[f] {
					t.Errorf("frame %d: %d foreground pixels, manifest says %d", f, count, c.counts[f])
				}
				total += count
			}
			if total != c.total {
				t.Errorf("%d foreground pixels, manifest says %d", total, c.total)
			}
			packed := packFrames(frames, 1)
			if !bytes.Equal(packed, raw[:len(packed)]) {
				t.Errorf("repacked pixel data differs from the file's")
			}
			if rest := raw[len(packed):]; bytes.Count(rest, []byte{0}) != len(rest) {
				t.Errorf("padding after the last frame is not zero: %x", rest)
			}
		})
	}
}
