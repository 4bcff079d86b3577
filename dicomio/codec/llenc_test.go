package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A small lossless JPEG encoder for tests, so that streams with what no
// encoder on this machine writes (restart intervals; non-interleaved colour
// scans) can be made. It is checked against GDCM:
// TestLosslessEncoderAgainstGDCM decodes its output with GDCM (through
// pydicom) and requires the original pixels, so the decoder tests built on
// it do not rest on this package's reading of the standard alone. Restart
// intervals that end inside a row are the exception: IJG-derived decoders
// count restart intervals in whole rows, so those cases check only that
// Decode follows T.81 H.1.2.1 as written (first sample of the interval
// predicted from 2^(P-Pt-1), the rest of that row from Ra).

type llParams struct {
	precision  int // 2..16
	predictor  int // 1..7
	pt         int // point transform
	restart    int // restart interval in MCUs, 0 = none
	interleave bool
}

// encodeLossless encodes planes (one per component, rows×cols samples of
// precision bits) as a SOF3 stream.
func encodeLossless(planes [][]uint16, rows, cols int, p llParams) []byte {
	var out []byte
	seg := func(m byte, payload []byte) {
		out = append(out, 0xFF, m)
		out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
		out = append(out, payload...)
	}
	out = append(out, 0xFF, mSOI)
	nf := len(planes)
	sof := []byte{byte(p.precision), byte(rows >> 8), byte(rows), byte(cols >> 8), byte(cols), byte(nf)}
	for c := range nf {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	seg(mSOF3, sof)
	// One table: the 17 difference categories get 5-bit codes 0..16.
	dht := []byte{0x00}
	counts := make([]byte, 16)
	counts[4] = 17
	dht = append(dht, counts...)
	for s := range 17 {
		dht = append(dht, byte(s))
	}
	seg(mDHT, dht)
	if p.restart > 0 {
		seg(mDRI, []byte{byte(p.restart >> 8), byte(p.restart)})
	}
	scans := [][]int{}
	if p.interleave {
		all := []int{}
		for c := range nf {
			all = append(all, c)
		}
		scans = append(scans, all)
	} else {
		for c := range nf {
			scans = append(scans, []int{c})
		}
	}
	for _, sc := range scans {
		sos := []byte{byte(len(sc))}
		for _, c := range sc {
			sos = append(sos, byte(c+1), 0x00)
		}
		sos = append(sos, byte(p.predictor), 0, byte(p.pt))
		seg(mSOS, sos)
		out = encodeScan(out, planes, sc, rows, cols, p)
	}
	return append(out, 0xFF, mEOI)
}

type bitWriter struct {
	out  []byte
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nacc++
		if w.nacc == 8 {
			b := byte(w.acc)
			w.out = append(w.out, b)
			if b == 0xFF {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

func encodeScan(out []byte, planes [][]uint16, sc []int, rows, cols int, p llParams) []byte {
	w := bitWriter{out: out}
	n := rows * cols
	shifted := make([][]int32, len(planes))
	for _, c := range sc {
		shifted[c] = make([]int32, n)
		for i, v := range planes[c] {
			shifted[c][i] = int32(v) >> uint(p.pt)
		}
	}
	resetPos, resetRow, rst := 0, 0, 0
	for pos := 0; pos < n; pos++ {
		if p.restart > 0 && pos > 0 && pos%p.restart == 0 {
			w.flush()
			w.out = append(w.out, 0xFF, byte(mRST0+rst%8))
			rst++
			resetPos, resetRow = pos, pos/cols
		}
		row, col := pos/cols, pos%cols
		for _, c := range sc {
			x := shifted[c]
			var pred int32
			switch {
			case pos == resetPos:
				pred = 1 << uint(p.precision-p.pt-1)
			case row == resetRow:
				pred = x[pos-1]
			case col == 0:
				pred = x[pos-cols]
			default:
				ra, rb, rc := x[pos-1], x[pos-cols], x[pos-cols-1]
				pred = [...]int32{0, ra, rb, rc, ra + rb - rc, ra + (rb-rc)>>1, rb + (ra-rc)>>1, (ra + rb) >> 1}[p.predictor]
			}
			diff := int32(int16(uint16(x[pos] - pred))) // modulo 2^16, as a signed value
			if uint16(x[pos]-pred) == 0x8000 {
				w.put(16, 5)
				continue
			}
			s, mag := 0, diff
			if mag < 0 {
				mag = -mag
			}
			for mag>>uint(s) != 0 {
				s++
			}
			w.put(uint32(s), 5)
			if s > 0 {
				v := diff
				if v < 0 {
					v--
				}
				w.put(uint32(v)&(1<<uint(s)-1), uint(s))
			}
		}
	}
	w.flush()
	return w.out
}

// testImage makes nf planes of smooth structure plus noise at the given
// precision, seeded.
func testImage(rows, cols, nf, precision int, seed int64) [][]uint16 {
	rng := rand.New(rand.NewSource(seed))
	maxv := 1<<uint(precision) - 1
	planes := make([][]uint16, nf)
	for c := range planes {
		pl := make([]uint16, rows*cols)
		for y := range rows {
			for x := range cols {
				v := (x*(37+c*11)+y*y*3+c*1000)%(maxv+1) + rng.Intn(9) - 4
				pl[y*cols+x] = uint16(max(0, min(maxv, v)))
			}
		}
		// Extremes, so that differences of ±2^15 and 16-bit wrap occur.
		pl[0], pl[len(pl)-1] = uint16(maxv), 0
		planes[c] = pl
	}
	return planes
}

type llCase struct {
	name        string
	rows, cols  int
	nf          int
	p           llParams
	bitsAlloc   int
	photometric string
}

func llCases() []llCase {
	var cs []llCase
	for pred := 1; pred <= 7; pred++ {
		cs = append(cs,
			llCase{fmt.Sprintf("p%d-16bit-restart-rows", pred), 19, 23, 1, llParams{precision: 16, predictor: pred, restart: 23}, 16, "MONOCHROME2"},
			llCase{fmt.Sprintf("p%d-12bit-restart-midrow", pred), 19, 23, 1, llParams{precision: 12, predictor: pred, restart: 17}, 16, "MONOCHROME2"},
		)
	}
	cs = append(cs,
		llCase{"p6-rgb8-interleaved-restart", 17, 21, 3, llParams{precision: 8, predictor: 6, restart: 21, interleave: true}, 8, "RGB"},
		llCase{"p4-rgb8-separate-scans", 17, 21, 3, llParams{precision: 8, predictor: 4, restart: 0}, 8, "RGB"},
		llCase{"p7-16bit-pt2", 16, 16, 1, llParams{precision: 16, predictor: 7, pt: 2}, 16, "MONOCHROME2"},
		llCase{"p1-2bit", 9, 11, 1, llParams{precision: 2, predictor: 1, restart: 22}, 8, "MONOCHROME2"},
	)
	return cs
}

func (c llCase) info() FrameInfo {
	return FrameInfo{Rows: c.rows, Columns: c.cols, SamplesPerPixel: c.nf, BitsAllocated: c.bitsAlloc,
		BitsStored: c.p.precision, Photometric: c.photometric}
}

// want is what a decoder must return: samples with the point transform's
// low bits cleared, interleaved, little-endian.
func (c llCase) want(planes [][]uint16) []byte {
	out := make([]byte, 0, c.rows*c.cols*c.nf*c.bitsAlloc/8)
	for i := range c.rows * c.cols {
		for _, pl := range planes {
			v := pl[i] >> uint(c.p.pt) << uint(c.p.pt)
			if c.bitsAlloc == 8 {
				out = append(out, byte(v))
			} else {
				out = binary.LittleEndian.AppendUint16(out, v)
			}
		}
	}
	return out
}

func TestLosslessRestartsAndScans(t *testing.T) {
	for i, c := range llCases() {
		t.Run(c.name, func(t *testing.T) {
			planes := testImage(c.rows, c.cols, c.nf, c.p.precision, int64(i))
			frame := encodeLossless(planes, c.rows, c.cols, c.p)
			d, err := Decode(JPEGLossless, frame, c.info())
			if err != nil {
				t.Fatal(err)
			}
			if want := c.want(planes); string(d.Data) != string(want) {
				gv, wv := sampleValues(d.Data, c.info()), sampleValues(want, c.info())
				for k := range gv {
					if gv[k] != wv[k] {
						t.Fatalf("sample %d: got %d, want %d", k, gv[k], wv[k])
					}
				}
			}
			// A missing restart marker is corruption, not garbage output.
			if c.p.restart > 0 {
				for k := 2; k+1 < len(frame); k++ {
					if frame[k] == 0xFF && frame[k+1] >= mRST0 && frame[k+1] <= mRST7 {
						bad := append(append([]byte(nil), frame[:k]...), frame[k+2:]...)
						if _, err := Decode(JPEGLossless, bad, c.info()); err == nil {
							t.Errorf("decoded with the first RST marker removed")
						}
						break
					}
				}
			}
		})
	}
}

// gdcmScript wraps each stream in a DICOM file with pydicom and decodes it
// with GDCM, writing the samples it gets.
const gdcmScript = `
import json, sys
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixel_data_handlers import gdcm_handler
from pydicom.uid import generate_uid
for job in json.load(open(sys.argv[1])):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.57"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = job["rows"], job["cols"], job["spp"]
    if job["spp"] == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = job["phot"]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = job["ba"], job["bs"], job["bs"] - 1, 0
    ds.PixelData = encapsulate([open(job["in"], "rb").read()])
    ds["PixelData"].VR = "OB"
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(job["dcm"], write_like_original=False)
    ds = pydicom.dcmread(job["dcm"])
    a = gdcm_handler.get_pixeldata(ds).astype("<u2" if job["ba"] == 16 else "u1")
    open(job["out"], "wb").write(a.tobytes())
`

func TestLosslessEncoderAgainstGDCM(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	var cases []llCase
	for _, c := range llCases() {
		if c.p.restart%c.cols == 0 {
			cases = append(cases, c)
		}
		// else: IJG-derived decoders (GDCM's, libjpeg-turbo's) count
		// restart intervals in whole rows; GDCM aborts on a restart inside
		// a row, so there is no second opinion on those.
	}
	jobs := make([]map[string]any, len(cases))
	wants := make([][]byte, len(cases))
	for i, c := range cases {
		planes := testImage(c.rows, c.cols, c.nf, c.p.precision, int64(i+100))
		in := filepath.Join(dir, fmt.Sprintf("%d.jpg", i))
		if err := os.WriteFile(in, encodeLossless(planes, c.rows, c.cols, c.p), 0o644); err != nil {
			t.Fatal(err)
		}
		wants[i] = c.want(planes)
		bs := c.p.precision
		if c.bitsAlloc == 8 {
			bs = 8 // GDCM asserts BitsStored == BitsAllocated for 8-bit JPEG
		}
		jobs[i] = map[string]any{"in": in, "dcm": in + ".dcm", "out": in + ".raw", "rows": c.rows, "cols": c.cols,
			"spp": c.nf, "ba": c.bitsAlloc, "bs": bs, "phot": c.photometric}
	}
	jb, _ := json.Marshal(jobs)
	jf, sf := filepath.Join(dir, "jobs.json"), filepath.Join(dir, "decode_with_gdcm.py") // not gdcm.py: that would shadow the gdcm module
	if err := os.WriteFile(jf, jb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, []byte(gdcmScript), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, "-W", "ignore", sf, jf).CombinedOutput(); err != nil {
		t.Fatalf("GDCM decode: %v\n%s", err, out)
	}
	for i, c := range cases {
		got, err := os.ReadFile(jobs[i]["out"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(wants[i]) {
			t.Errorf("%s: GDCM does not decode the test encoder's stream to the original pixels", c.name)
		} else {
			t.Logf("%s: GDCM agrees", c.name)
		}
	}
}
