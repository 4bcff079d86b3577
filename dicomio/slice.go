package dicomio

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
)

// Slice is the pixels of one slice.
type Slice struct {
	Index         int // in Series.Slices
	Ref           SliceRef
	Rows, Columns int
	// Grey holds Rows×Columns values, row by row, after the Modality LUT
	// (rescale slope and intercept of this slice, or a Modality LUT
	// Sequence): CT in Hounsfield units. Nil for colour images.
	Grey []float32
	// RGB holds Rows×Columns×3 bytes, row by row, R G B interleaved, YBR
	// converted and planes interleaved. Nil for grey images.
	RGB []uint8
	// Inverted reports MONOCHROME1 data, inverted so that larger values are
	// brighter: v' = lo + hi − v, where lo and hi are the Modality-LUT
	// images of the smallest and largest values BitsStored allows.
	Inverted bool
}

// ReadSlice reads slice k (an index into s.Slices) from its file, reading
// only that slice's pixel data (one frame, or the fragments of one frame).
// Errors name the series, the slice and the file.
func (s *Series) ReadSlice(ctx context.Context, k int) (*Slice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 0 || k >= len(s.Slices) {
		return nil, fmt.Errorf("series %s: slice %d out of range [0,%d)", s.Key, k, len(s.Slices))
	}
	ref := s.Slices[k]
	sl, err := readSlice(ref, s.cache)
	if err != nil {
		return nil, fmt.Errorf("series %s slice %d (%s): %w", s.Key, k, ref.Path, err)
	}
	sl.Index = k
	return sl, nil
}

func readSlice(ref SliceRef, cache *frameCache) (*Slice, error) {
	in, g := ref.in, ref.g
	if in == nil {
		return nil, fmt.Errorf("%w: slice reference not made by Scan", ErrValue)
	}
	f := in.src.format
	var data []byte
	var photometric string
	var err error
	if in.mosaic != nil && cache != nil {
		data, photometric, err = cache.frame(in, g.frame)
	} else {
		data, photometric, err = in.src.frame(g.frame)
	}
	if err != nil {
		return nil, err
	}
	rows, cols := f.Rows, f.Columns
	if m := in.mosaic; m != nil {
		if photometric != f.Photometric || f.BitsAllocated < 8 || f.SamplesPerPixel != 1 {
			return nil, fmt.Errorf("%w: mosaic of %s %d-bit samples", ErrUnsupportedImage, photometric, f.BitsAllocated)
		}
		data = m.cutTile(data, g.tile, f.BitsAllocated/8)
		rows, cols = m.rows, m.cols
	}
	sl := &Slice{Ref: ref, Rows: rows, Columns: cols}
	tile := f
	tile.Rows, tile.Columns = rows, cols
	if f.SamplesPerPixel == 1 && photometric != "PALETTE COLOR" {
		shift := 0
		if !in.src.encapsulated() {
			shift = f.HighBit + 1 - f.BitsStored
		}
		sl.Inverted = photometric == "MONOCHROME1"
		sl.Grey = make([]float32, rows*cols)
		if err := toGrey(sl.Grey, data, tile, shift, g.mod, sl.Inverted); err != nil {
			return nil, err
		}
		return sl, nil
	}
	sl.RGB, err = toRGB(data, photometric, tile, in.palette)
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// Volume is a whole series in memory.
type Volume struct {
	Grid    geom.Grid
	Volumes int
	// Grey holds Volumes × Slices × Rows × Columns values (volume, slice,
	// row, column; the column index varies fastest), after the Modality
	// LUT; nil for colour.
	Grey []float32
	// RGB holds the same layout times 3 interleaved bytes; nil for grey.
	RGB      []uint8
	Inverted bool // MONOCHROME1 inverted (see Slice.Inverted)
}

// Volume reads every slice of the series into memory, a few slices at a
// time in parallel. It refuses a series whose VolumeErr is set and a volume
// larger than ScanOptions.MaxVolumeBytes (ErrTooLarge), before reading.
func (s *Series) Volume(ctx context.Context) (*Volume, error) {
	if s.VolumeErr != nil {
		return nil, s.VolumeErr
	}
	g := s.Grid
	plane := g.Rows * g.Columns
	n := len(s.Slices)
	per := int64(4)
	colour := s.SamplesPerPixel == 3 || s.Photometric == "PALETTE COLOR"
	if colour {
		per = 3
	}
	limit := s.maxVolumeBytes
	if limit <= 0 {
		limit = DefaultMaxVolumeBytes
	}
	if need := int64(plane) * int64(n) * per; need > limit {
		return nil, fmt.Errorf("series %s: %w: %d slices of %d×%d need %d bytes (limit %d)", s.Key, ErrTooLarge, n, g.Columns, g.Rows, need, limit)
	}
	v := &Volume{Grid: g, Volumes: s.Volumes}
	if colour {
		v.RGB = make([]uint8, plane*n*3)
	} else {
		v.Grey = make([]float32, plane*n)
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	inverted := make([]bool, n)
	for k := 0; k < n; k++ {
		eg.Go(func() error {
			sl, err := s.ReadSlice(ectx, k)
			if err != nil {
				return err
			}
			if sl.Rows != g.Rows || sl.Columns != g.Columns {
				return fmt.Errorf("series %s slice %d: %d×%d, the series is %d×%d", s.Key, k, sl.Columns, sl.Rows, g.Columns, g.Rows)
			}
			if colour {
				if sl.RGB == nil {
					return fmt.Errorf("series %s slice %d is not colour", s.Key, k)
				}
				copy(v.RGB[k*plane*3:], sl.RGB)
			} else {
				if sl.Grey == nil {
					return fmt.Errorf("series %s slice %d is not grey", s.Key, k)
				}
				copy(v.Grey[k*plane:], sl.Grey)
			}
			inverted[k] = sl.Inverted
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	v.Inverted = n > 0 && inverted[0]
	return v, nil
}

// Header reads the header of the series' first slice: the source of the
// Patient, General Study and other modules that a derived object such as a
// SEG copies. The pixel data and the file meta group (0002) are left out;
// TransferSyntax still reports the file's syntax.
func (s *Series) Header(ctx context.Context) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(s.Slices) == 0 {
		return nil, fmt.Errorf("series %s has no slices", s.Key)
	}
	ds, err := ReadFile(s.Slices[0].Path, ReadOptions{HeaderOnly: true})
	if err != nil {
		return nil, fmt.Errorf("series %s: %w", s.Key, err)
	}
	ds.Delete(tag.PixelData)
	kept := ds.elems[:0]
	for _, e := range ds.elems {
		if e.Tag.Group() != 0x0002 {
			kept = append(kept, e)
		}
	}
	ds.elems = kept
	return ds, nil
}

// frameCache keeps the last few decoded frames that hold several slices (a
// Siemens mosaic), so that reading such a series slice by slice decodes
// each frame once, not once per tile. The cached data is never modified:
// tiles are copied out of it.
type frameCache struct {
	mu      sync.Mutex
	entries []cachedFrame // most recently used last
}

type cachedFrame struct {
	in          *instance
	frame       int
	data        []byte
	photometric string
}

const frameCacheSize = 4

func (c *frameCache) frame(in *instance, k int) ([]byte, string, error) {
	c.mu.Lock()
	for i, e := range c.entries {
		if e.in == in && e.frame == k {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			return e.data, e.photometric, nil
		}
	}
	c.mu.Unlock()
	data, photometric, err := in.src.frame(k)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	if len(c.entries) == frameCacheSize {
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, cachedFrame{in, k, data, photometric})
	c.mu.Unlock()
	return data, photometric, nil
}
