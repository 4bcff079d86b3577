package dicomio

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// modality maps stored values to output values: the Modality LUT (PS3.3
// C.11.1), either a rescale or a lookup table.
type modality struct {
	slope, intercept float64
	lut              []float64 // LUT entries, when a Modality LUT Sequence replaces the rescale
	lutFirst         int       // stored value mapped to lut[0]
}

func (m modality) apply(v int64) float64 {
	if m.lut != nil {
		i := v - int64(m.lutFirst)
		switch {
		case i < 0:
			i = 0
		case i >= int64(len(m.lut)):
			i = int64(len(m.lut)) - 1
		}
		return m.lut[i]
	}
	return float64(v)*m.slope + m.intercept
}

// modalityOf reads the rescale from ds (top level or a functional group
// item), falling back to def. A Modality LUT Sequence is used when there is
// no rescale.
func modalityOf(ds *Dataset, def modality) (modality, []string) {
	var warn []string
	m := def
	slope, errS := ds.Float(tag.RescaleSlope)
	icpt, errI := ds.Float(tag.RescaleIntercept)
	switch {
	case errS == nil && errI == nil:
		m = modality{slope: slope, intercept: icpt}
	case errS == nil:
		m = modality{slope: slope}
	case errI == nil:
		m = modality{slope: 1, intercept: icpt}
	default:
		if items := ds.Items(tag.ModalityLUTSequence); len(items) > 0 {
			l, err := readLUT(items[0])
			if err != nil {
				warn = append(warn, fmt.Sprintf("Modality LUT Sequence ignored: %v", err))
			} else {
				m = l
			}
		}
	}
	if m.lut == nil && (m.slope == 0 || math.IsNaN(m.slope) || math.IsInf(m.slope, 0)) {
		warn = append(warn, fmt.Sprintf("RescaleSlope %v is unusable; 1 used", m.slope))
		m.slope = 1
	}
	return m, warn
}

// readLUT reads a Modality LUT Sequence item: LUTDescriptor (entries, first
// stored value mapped, bits per entry) and LUTData.
func readLUT(it *Dataset) (modality, error) {
	d := it.Element(tag.LUTDescriptor)
	if d == nil || len(d.value) < 6 {
		return modality{}, fmt.Errorf("no LUTDescriptor")
	}
	n := int(binary.LittleEndian.Uint16(d.value))
	if n == 0 {
		n = 65536
	}
	first := int(binary.LittleEndian.Uint16(d.value[2:]))
	if d.VR == VRSS {
		first = int(int16(binary.LittleEndian.Uint16(d.value[2:])))
	}
	bits := int(binary.LittleEndian.Uint16(d.value[4:]))
	data := it.Bytes(tag.LUTData)
	lut := make([]float64, n)
	switch {
	case len(data) >= 2*n:
		for i := range lut {
			lut[i] = float64(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case bits <= 8 && len(data) >= n:
		for i := range lut {
			lut[i] = float64(data[i])
		}
	default:
		return modality{}, fmt.Errorf("LUTData holds %d bytes for %d entries", len(data), n)
	}
	return modality{lut: lut, lutFirst: first}, nil
}

// storedRange is the range of stored values BitsStored and signedness
// allow.
func (f pixelFormat) storedRange() (lo, hi int64) {
	bs := f.BitsStored
	if f.BitsAllocated == 1 {
		return 0, 1
	}
	if f.PixelRepresentation == 1 {
		return -(1 << (bs - 1)), 1<<(bs-1) - 1
	}
	return 0, 1<<bs - 1
}

// toGrey converts one frame of native samples (little endian, BitsAllocated
// bits; 1-bit data one byte per pixel) to output values: the bits of
// BitsStored ending at HighBit when native (shift), sign-extended for
// PixelRepresentation 1, through the modality LUT. MONOCHROME1 data is
// inverted within the output range of the stored range, so that larger
// means brighter as for MONOCHROME2.
func toGrey(dst []float32, data []byte, f pixelFormat, shift int, m modality, invert bool) error {
	n := len(dst)
	bs := f.BitsStored
	signed := f.PixelRepresentation == 1
	var need int
	switch f.BitsAllocated {
	case 1, 8:
		need = n
	case 16:
		need = 2 * n
	case 32:
		need = 4 * n
	}
	if len(data) < need {
		return fmt.Errorf("%w: frame has %d bytes, %d pixels need %d", ErrMalformed, len(data), n, need)
	}
	mask := uint64(1)<<bs - 1
	sign := uint64(1) << (bs - 1)
	value := func(u uint64) int64 {
		u = u >> shift & mask
		if signed && u&sign != 0 {
			return int64(u) - int64(mask) - 1
		}
		return int64(u)
	}
	var a, b float64 = 1, 0 // out = a·stored + b when the LUT is a rescale
	if m.lut == nil {
		a, b = m.slope, m.intercept
	}
	if invert {
		lo, hi := f.storedRange()
		olo, ohi := m.apply(lo), m.apply(hi)
		if m.lut != nil {
			olo, ohi = m.lut[0], m.lut[0]
			for _, v := range m.lut {
				olo, ohi = math.Min(olo, v), math.Max(ohi, v)
			}
		}
		// out' = olo + ohi − out
		if m.lut == nil {
			a, b = -a, olo+ohi-b
		} else {
			inner := m
			m = modality{lut: make([]float64, len(inner.lut)), lutFirst: inner.lutFirst}
			for i, v := range inner.lut {
				m.lut[i] = olo + ohi - v
			}
		}
	}
	if m.lut != nil {
		for i := range dst {
			dst[i] = float32(m.apply(value(sample(data, f.BitsAllocated, i))))
		}
		return nil
	}
	fa, fb := float32(a), float32(b)
	exact := float64(fa) == a && float64(fb) == b
	switch {
	case f.BitsAllocated == 16 && shift == 0 && bs == 16 && exact:
		// The common CT/MR case, kept tight: a 512² slice in well under a
		// millisecond.
		src := data[:2*len(dst)]
		if signed {
			for i := range dst {
				dst[i] = float32(int16(uint16(src[2*i])|uint16(src[2*i+1])<<8))*fa + fb
			}
		} else {
			for i := range dst {
				dst[i] = float32(uint16(src[2*i])|uint16(src[2*i+1])<<8)*fa + fb
			}
		}
	case exact && bs <= 24:
		for i := range dst {
			dst[i] = float32(value(sample(data, f.BitsAllocated, i)))*fa + fb
		}
	default:
		for i := range dst {
			dst[i] = float32(float64(value(sample(data, f.BitsAllocated, i)))*a + b)
		}
	}
	return nil
}

func sample(data []byte, bitsAllocated, i int) uint64 {
	switch bitsAllocated {
	case 16:
		return uint64(binary.LittleEndian.Uint16(data[2*i:]))
	case 32:
		return uint64(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return uint64(data[i])
}

// palette is a Palette Color LUT set (PS3.3 C.7.6.3.1.5), already reduced
// to 8-bit entries.
type palette struct {
	r, g, b []uint8
	first   int
}

func paletteOf(ds *Dataset) (*palette, error) {
	p := &palette{}
	descs := []tag.Tag{tag.RedPaletteColorLookupTableDescriptor, tag.GreenPaletteColorLookupTableDescriptor, tag.BluePaletteColorLookupTableDescriptor}
	datas := []tag.Tag{tag.RedPaletteColorLookupTableData, tag.GreenPaletteColorLookupTableData, tag.BluePaletteColorLookupTableData}
	outs := []*[]uint8{&p.r, &p.g, &p.b}
	for c := range descs {
		d := ds.Bytes(descs[c])
		if len(d) < 6 {
			return nil, fmt.Errorf("%w: PALETTE COLOR without %v (segmented palettes are not read)", ErrUnsupportedImage, descs[c].Name())
		}
		n := int(binary.LittleEndian.Uint16(d))
		if n == 0 {
			n = 65536
		}
		first := int(binary.LittleEndian.Uint16(d[2:]))
		if ds.Element(descs[c]).VR == VRSS {
			first = int(int16(binary.LittleEndian.Uint16(d[2:])))
		}
		bits := int(binary.LittleEndian.Uint16(d[4:]))
		data := ds.Bytes(datas[c])
		out := make([]uint8, n)
		switch {
		case bits == 16 && len(data) >= 2*n:
			for i := range out {
				out[i] = uint8(binary.LittleEndian.Uint16(data[2*i:]) >> 8)
			}
		case bits == 8 && len(data) >= 2*n:
			// 8-bit entries stored one per 16-bit word.
			for i := range out {
				out[i] = uint8(binary.LittleEndian.Uint16(data[2*i:]))
			}
		case bits == 8 && len(data) >= n:
			copy(out, data)
		default:
			return nil, fmt.Errorf("%w: %v holds %d bytes for %d %d-bit entries", ErrMalformed, datas[c].Name(), len(data), n, bits)
		}
		*outs[c] = out
		p.first = first
	}
	return p, nil
}

// toRGB converts one frame of native colour samples (or palette indices) to
// interleaved 8-bit RGB. photometric is what the samples are now (a
// decoder may have converted YBR to RGB already).
func toRGB(data []byte, photometric string, f pixelFormat, pal *palette) ([]uint8, error) {
	n := int(f.pixels())
	out := make([]uint8, 3*n)
	switch photometric {
	case "PALETTE COLOR":
		if pal == nil {
			return nil, fmt.Errorf("%w: PALETTE COLOR without a palette", ErrMalformed)
		}
		for i := 0; i < n; i++ {
			if (i+1)*max(f.BitsAllocated/8, 1) > len(data) {
				return nil, fmt.Errorf("%w: frame too short", ErrMalformed)
			}
			v := int(sample(data, f.BitsAllocated, i)) - pal.first
			if v < 0 {
				v = 0
			}
			if v >= len(pal.r) {
				v = len(pal.r) - 1
			}
			out[3*i], out[3*i+1], out[3*i+2] = pal.r[min(v, len(pal.r)-1)], pal.g[min(v, len(pal.g)-1)], pal.b[min(v, len(pal.b)-1)]
		}
		return out, nil
	case "YBR_FULL_422", "YBR_PARTIAL_422":
		if len(data) == 2*n && f.BitsAllocated == 8 {
			// Native 4:2:2: Y1 Y2 Cb Cr for each pair of pixels in a row.
			if f.Columns%2 != 0 {
				return nil, fmt.Errorf("%w: 4:2:2 data with an odd number of columns", ErrMalformed)
			}
			full := make([]byte, 3*n)
			for i := 0; i+1 < n; i += 2 {
				y1, y2, cb, cr := data[2*i], data[2*i+1], data[2*i+2], data[2*i+3]
				full[3*i], full[3*i+1], full[3*i+2] = y1, cb, cr
				full[3*i+3], full[3*i+4], full[3*i+5] = y2, cb, cr
			}
			data = full
		}
		ybrToRGB(out, data, photometric == "YBR_PARTIAL_422")
		return out, nil
	}
	bps := f.BitsAllocated / 8
	if bps == 0 || len(data) < 3*n*bps {
		return nil, fmt.Errorf("%w: colour frame of %d bytes for %d pixels", ErrMalformed, len(data), n)
	}
	src := data
	if bps > 1 {
		// Keep the top 8 of BitsStored bits.
		src = make([]byte, 3*n)
		shift := max(f.BitsStored-8, 0)
		for i := range src {
			v := sample(data, f.BitsAllocated, i) >> shift
			src[i] = uint8(min(v, 255))
		}
	}
	switch photometric {
	case "RGB", "YBR_RCT", "YBR_ICT":
		// JPEG 2000 decoders undo the component transform: RCT/ICT frames
		// come back as RGB samples.
		copy(out, src)
	case "YBR_FULL":
		ybrToRGB(out, src, false)
	case "YBR_PARTIAL_420":
		ybrToRGB(out, src, true)
	default:
		return nil, fmt.Errorf("%w: photometric interpretation %q", ErrUnsupportedImage, photometric)
	}
	return out, nil
}

// ybrToRGB converts interleaved Y Cb Cr to RGB: full range (PS3.3
// C.7.6.3.1.2, the JFIF equations) or partial range (ITU-R BT.601).
func ybrToRGB(dst, src []byte, partial bool) {
	clamp := func(v float64) uint8 {
		v = math.Round(v)
		if v < 0 {
			return 0
		}
		if v > 255 {
			return 255
		}
		return uint8(v)
	}
	for i := 0; i+2 < len(src) && i+2 < len(dst); i += 3 {
		y, cb, cr := float64(src[i]), float64(src[i+1])-128, float64(src[i+2])-128
		if partial {
			y = 1.1644 * (y - 16)
			dst[i] = clamp(y + 1.5960*cr)
			dst[i+1] = clamp(y - 0.3918*cb - 0.8130*cr)
			dst[i+2] = clamp(y + 2.0172*cb)
			continue
		}
		dst[i] = clamp(y + 1.402*cr)
		dst[i+1] = clamp(y - 0.344136*cb - 0.714136*cr)
		dst[i+2] = clamp(y + 1.772*cb)
	}
}
