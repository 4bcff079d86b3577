package dicomio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/mmcseg/mmcseg/geom"
)

// Siemens mosaics store a whole volume as a grid of tiles in one frame
// (ImageType contains MOSAIC). mmcseg de-mosaics them: tile k (row-major
// in a grid of ⌈√N⌉ × ⌈√N⌉) becomes slice k. Geometry follows the rule that
// dcm2niix and nibabel use: ImagePositionPatient is the corner of the whole
// mosaic, so the first tile's corner lies half the difference of the mosaic
// and tile sizes further along the row and column directions; tiles follow
// each other along the CSA SliceNormalVector (the cross product of the
// orientation when the CSA header is absent), SpacingBetweenSlices apart.

// mosaicInfo is what de-mosaicking an image needs.
type mosaicInfo struct {
	n            int // NumberOfImagesInMosaic
	grid         int // tiles per row and per column of the mosaic
	rows, cols   int // size of one tile
	normal       geom.Vec3
	normalFromCS bool
}

// csaTag is one element of a Siemens CSA header.
type csaTag struct {
	vr    string
	items []string
}

// parseCSA reads a Siemens CSA header (the "SV10" CSA2 format, or the older
// CSA1) as documented with SPM and nibabel. It returns nil for anything
// that does not parse; it never reads outside b.
func parseCSA(b []byte) map[string]csaTag {
	const maxItems = 1000
	p := 0
	csa2 := len(b) >= 8 && string(b[:4]) == "SV10"
	if csa2 {
		p = 8
	}
	u32 := func() (int, bool) {
		if p+4 > len(b) {
			return 0, false
		}
		v := int32(binary.LittleEndian.Uint32(b[p:]))
		p += 4
		return int(v), true
	}
	ntags, ok := u32()
	if !ok || ntags <= 0 || ntags > maxItems {
		return nil
	}
	if _, ok := u32(); !ok { // "check" word, 77
		return nil
	}
	tags := make(map[string]csaTag, ntags)
	tag1Items := 0
	for t := 0; t < ntags; t++ {
		if p+84 > len(b) {
			return nil
		}
		name := cstring(b[p : p+64])
		vm := int(int32(binary.LittleEndian.Uint32(b[p+64:])))
		vr := cstring(b[p+68 : p+72])
		nitems := int(int32(binary.LittleEndian.Uint32(b[p+76:])))
		p += 84
		if nitems < 0 || nitems > maxItems {
			return nil
		}
		if t == 1 {
			tag1Items = nitems
		}
		nvalues := vm
		if vm <= 0 {
			nvalues = nitems
		}
		var items []string
		for it := 0; it < nitems; it++ {
			if p+16 > len(b) {
				return nil
			}
			x0 := int(int32(binary.LittleEndian.Uint32(b[p:])))
			x1 := int(int32(binary.LittleEndian.Uint32(b[p+4:])))
			p += 16
			n := x1
			if !csa2 {
				n = x0 - tag1Items
			}
			if n < 0 || p+n > len(b) {
				return nil
			}
			if it < nvalues && n > 0 {
				items = append(items, strings.TrimSpace(cstring(b[p:p+n])))
			}
			p += (n + 3) &^ 3
		}
		tags[name] = csaTag{vr: vr, items: items}
	}
	return tags
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func (c csaTag) floats() []float64 {
	var out []float64
	for _, s := range c.items {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// mosaicOf recognises a Siemens mosaic and works out its tiles. ok is false
// when the image is not a mosaic; err says why a mosaic cannot be
// de-mosaicked.
func mosaicOf(ds *Dataset, imageType []string, rows, cols int, rowDir, colDir geom.Vec3) (m mosaicInfo, ok bool, reason string) {
	isMosaic := false
	for _, v := range imageType {
		if v == "MOSAIC" {
			isMosaic = true
		}
	}
	if !isMosaic {
		return m, false, ""
	}
	var csa map[string]csaTag
	if e := ds.Private(0x0029, "SIEMENS CSA HEADER", 0x10); e != nil {
		csa = parseCSA(e.value)
	}
	n := 0
	if t, ok := csa["NumberOfImagesInMosaic"]; ok && len(t.items) > 0 {
		n, _ = strconv.Atoi(t.items[0])
	}
	if n <= 0 {
		if e := ds.Private(0x0019, "SIEMENS MR HEADER", 0x0A); e != nil && len(e.value) >= 2 {
			n = int(binary.LittleEndian.Uint16(e.value))
		}
	}
	if n <= 0 {
		return m, true, "ImageType says MOSAIC but NumberOfImagesInMosaic is missing (no CSA header or (0019,100A))"
	}
	grid := int(math.Ceil(math.Sqrt(float64(n))))
	if rows%grid != 0 || cols%grid != 0 {
		return m, true, "a " + strconv.Itoa(rows) + "×" + strconv.Itoa(cols) + " mosaic does not divide into a " +
			strconv.Itoa(grid) + "×" + strconv.Itoa(grid) + " grid of tiles for " + strconv.Itoa(n) + " images"
	}
	m = mosaicInfo{n: n, grid: grid, rows: rows / grid, cols: cols / grid}
	m.normal = rowDir.Cross(colDir).Unit()
	if t, ok := csa["SliceNormalVector"]; ok {
		if v := t.floats(); len(v) == 3 {
			nv := geom.Vec3{v[0], v[1], v[2]}
			if math.Abs(nv.Norm()-1) < 0.01 {
				m.normal, m.normalFromCS = nv.Unit(), true
			}
		}
	}
	return m, true, ""
}

// tileOrigin is the position of the first pixel of tile 0.
func (m mosaicInfo) tileOrigin(ipp geom.Vec3, rowDir, colDir geom.Vec3, rowSpacing, colSpacing float64) geom.Vec3 {
	dr := float64(m.grid*m.rows-m.rows) / 2
	dc := float64(m.grid*m.cols-m.cols) / 2
	return ipp.Add(colDir.Scale(dr * rowSpacing)).Add(rowDir.Scale(dc * colSpacing))
}

// cutTile copies tile k out of a native mosaic frame of bytesPerPixel-byte
// pixels.
func (m mosaicInfo) cutTile(frame []byte, k, bytesPerPixel int) []byte {
	out := make([]byte, m.rows*m.cols*bytesPerPixel)
	mcols := m.grid * m.cols
	r0, c0 := (k/m.grid)*m.rows, (k%m.grid)*m.cols
	for r := 0; r < m.rows; r++ {
		src := ((r0+r)*mcols + c0) * bytesPerPixel
		copy(out[r*m.cols*bytesPerPixel:(r+1)*m.cols*bytesPerPixel], frame[src:src+m.cols*bytesPerPixel])
	}
	return out
}
